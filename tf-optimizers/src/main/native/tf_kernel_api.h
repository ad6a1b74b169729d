/*
 * The parts of TensorFlow's C API that tftrain's kernels use: op definition, kernel registration and kernel
 * context access, including the experimental call that hands a kernel the buffer of a legacy (ref) variable.
 *
 * Declared here from the documented signatures of the TensorFlow 2.18 C API, which TF-Java 1.1.0 ships in
 * libtensorflow_framework.so.2, so that building needs no TensorFlow source tree.
 */
#ifndef TFTRAIN_TF_KERNEL_API_H_
#define TFTRAIN_TF_KERNEL_API_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TF_Status TF_Status;
typedef struct TF_Tensor TF_Tensor;
typedef struct TF_OpDefinitionBuilder TF_OpDefinitionBuilder;
typedef struct TF_ShapeInferenceContext TF_ShapeInferenceContext;
typedef struct TF_ShapeHandle TF_ShapeHandle;
typedef struct TF_KernelBuilder TF_KernelBuilder;
typedef struct TF_OpKernelConstruction TF_OpKernelConstruction;
typedef struct TF_OpKernelContext TF_OpKernelContext;
typedef unsigned char TF_Bool;

/* Values of the TF_DataType enum used here. */
typedef enum { TFTRAIN_DT_FLOAT = 1, TFTRAIN_DT_DOUBLE = 2 } tftrain_dtype;
/* Values of the TF_Code enum used here. */
typedef enum {
  TFTRAIN_OK = 0,
  TFTRAIN_INVALID_ARGUMENT = 3,
  TFTRAIN_RESOURCE_EXHAUSTED = 8,
  TFTRAIN_INTERNAL = 13
} tftrain_code;

extern TF_Status* TF_NewStatus(void);
extern void TF_DeleteStatus(TF_Status* status);
extern int TF_GetCode(const TF_Status* status);
extern void TF_SetStatus(TF_Status* status, int code, const char* message);

extern TF_OpDefinitionBuilder* TF_NewOpDefinitionBuilder(const char* op_name);
extern void TF_OpDefinitionBuilderAddInput(TF_OpDefinitionBuilder* builder, const char* input_spec);
extern void TF_OpDefinitionBuilderAddOutput(TF_OpDefinitionBuilder* builder, const char* output_spec);
extern void TF_OpDefinitionBuilderAddAttr(TF_OpDefinitionBuilder* builder, const char* attr_spec);
extern void TF_OpDefinitionBuilderSetIsStateful(TF_OpDefinitionBuilder* builder, bool is_stateful);
extern void TF_OpDefinitionBuilderSetShapeInferenceFunction(
    TF_OpDefinitionBuilder* builder, void (*shape_fn)(TF_ShapeInferenceContext* ctx, TF_Status* status));
extern void TF_RegisterOpDefinition(TF_OpDefinitionBuilder* builder, TF_Status* status);

extern TF_ShapeHandle* TF_ShapeInferenceContextScalar(TF_ShapeInferenceContext* ctx);
extern void TF_ShapeInferenceContextSetOutput(TF_ShapeInferenceContext* ctx, int i, TF_ShapeHandle* handle,
                                              TF_Status* status);
extern void TF_DeleteShapeHandle(TF_ShapeHandle* handle);

extern TF_KernelBuilder* TF_NewKernelBuilder(const char* op_name, const char* device_name,
                                             void* (*create_fn)(TF_OpKernelConstruction* ctx),
                                             void (*compute_fn)(void* kernel, TF_OpKernelContext* ctx),
                                             void (*delete_fn)(void* kernel));
extern void TF_KernelBuilder_TypeConstraint(TF_KernelBuilder* builder, const char* attr_name, int type,
                                            TF_Status* status);
extern void TF_RegisterKernelBuilder(const char* kernel_name, TF_KernelBuilder* builder, TF_Status* status);

extern void TF_OpKernelConstruction_GetAttrBool(TF_OpKernelConstruction* ctx, const char* attr_name, TF_Bool* val,
                                                TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrInt32(TF_OpKernelConstruction* ctx, const char* attr_name, int32_t* val,
                                                 TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrType(TF_OpKernelConstruction* ctx, const char* attr_name, int* val,
                                                TF_Status* status);
extern void TF_OpKernelConstruction_Failure(TF_OpKernelConstruction* ctx, TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrSize(TF_OpKernelConstruction* ctx, const char* attr_name,
                                                int32_t* list_size, int32_t* total_size, TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrInt32List(TF_OpKernelConstruction* ctx, const char* attr_name,
                                                     int32_t* vals, int max_vals, TF_Status* status);
extern int TF_NumInputs(TF_OpKernelContext* ctx);

extern void TF_GetInput(TF_OpKernelContext* ctx, int i, TF_Tensor** tensor, TF_Status* status);
/* Experimental: the tensor of a ref (or resource) variable input, sharing the variable's buffer. */
extern void TF_GetInputTensorFromVariable(TF_OpKernelContext* ctx, int input, bool lock_held, bool is_variant_type,
                                          bool sparse,
                                          void (*copy_fn)(TF_OpKernelContext* ctx, TF_Tensor* source,
                                                          TF_Tensor* dest),
                                          TF_Tensor** out, TF_Status* status);
extern TF_Tensor* TF_AllocateOutput(TF_OpKernelContext* ctx, int index, int dtype, const int64_t* dims,
                                    int num_dims, size_t len, TF_Status* status);
extern void TF_OpKernelContext_Failure(TF_OpKernelContext* ctx, TF_Status* status);

extern void* TF_TensorData(const TF_Tensor* tensor);
extern int64_t TF_TensorElementCount(const TF_Tensor* tensor);
extern int TF_TensorType(const TF_Tensor* tensor);
extern void TF_DeleteTensor(TF_Tensor* tensor);

#endif /* TFTRAIN_TF_KERNEL_API_H_ */
