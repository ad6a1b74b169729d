/*
 * tftrain's fused CPU update kernels for KaFiStO (Dynamics) and Apollo.
 *
 * Why: the per-parameter part of these updates touches three or four state tensors. Built from stock TF ops on
 * legacy VariableV2 state, every new value is computed into a fresh buffer and then copied into the variable
 * (Assign), which doubles the memory traffic. These kernels read each tensor once and write the state back in
 * place, like TF's own fused ApplyAdam. Everything that is not per-parameter (the Kalman filter's scalars, gains,
 * norms across variables) stays in the graph, in Java; the Java side passes the per-variable gains in.
 *
 * The ops take the variables as Ref inputs and update their buffers in place; they are stateful. Only CPU kernels
 * exist. Loops are single-threaded (TF runs the ops of different variables in parallel) and vectorised; reductions
 * accumulate in double. The hot loops are compiled twice, target_clones("avx2", "default"), and picked by CPU feature
 * when the library loads. Not "arch=haswell": gcc dispatches arch= clones on the exact CPU model, so no other CPU (an
 * AMD EPYC, a newer Xeon) ever ran them. Not "fma": products and sums round separately, as the graph's ops round them.
 *
 * Loaded at run time by io.github.tftrain.optimizers.NativeKernels through TensorFlow.loadLibrary, which runs the
 * registration below.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_kernel_api.h"

extern void TF_OpKernelConstruction_GetAttrString(TF_OpKernelConstruction* ctx, const char* attr_name, char* val,
                                                  size_t max_length, TF_Status* status);

/* ---------------------------------------------------------------------------------------------------------------
 * Plumbing */

static void fail(TF_OpKernelContext* ctx, int code, const char* message) {
  TF_Status* status = TF_NewStatus();
  TF_SetStatus(status, code, message);
  TF_OpKernelContext_Failure(ctx, status);
  TF_DeleteStatus(status);
}

/* Ref inputs never go through copy-on-read, so no copy function is ever called. */
static void no_copy(TF_OpKernelContext* ctx, TF_Tensor* source, TF_Tensor* dest) {
  (void)ctx;
  (void)source;
  (void)dest;
}

#define MAX_INPUTS 16

/* The inputs of one kernel call: variable tensors (sharing the variables' buffers), the gradient, and scalars. */
typedef struct {
  TF_Tensor* tensors[MAX_INPUTS];
  int count;
  double scalars[MAX_INPUTS];
} inputs;

static void release(inputs* in) {
  for (int i = 0; i < in->count; i++) {
    if (in->tensors[i] != NULL) {
      TF_DeleteTensor(in->tensors[i]);
    }
  }
}

/* Reads `refs` variable inputs, one gradient, then `scalars` float64 scalars; checks element counts and types. */
static int read_state_inputs(TF_OpKernelContext* ctx, const char* op, int refs, int by_value, int scalars, int dtype,
                             inputs* in) {
  char message[256];
  TF_Status* status = TF_NewStatus();
  memset(in, 0, sizeof(*in));
  in->count = refs + 1;
  int ok = 1;
  for (int i = 0; i < refs && ok; i++) {
    if (by_value) {
      TF_GetInput(ctx, i, &in->tensors[i], status);
    } else {
      TF_GetInputTensorFromVariable(ctx, i, false, false, false, no_copy, &in->tensors[i], status);
    }
    ok = TF_GetCode(status) == TFTRAIN_OK;
  }
  if (ok) {
    TF_GetInput(ctx, refs, &in->tensors[refs], status);
    ok = TF_GetCode(status) == TFTRAIN_OK;
  }
  if (!ok) {
    TF_OpKernelContext_Failure(ctx, status);
    TF_DeleteStatus(status);
    release(in);
    return 0;
  }
  int64_t n = TF_TensorElementCount(in->tensors[0]);
  for (int i = 0; i <= refs; i++) {
    if (TF_TensorType(in->tensors[i]) != dtype || TF_TensorElementCount(in->tensors[i]) != n) {
      snprintf(message, sizeof(message), "%s: input %d has %lld elements of type %d, expected %lld of type %d", op, i,
               (long long)TF_TensorElementCount(in->tensors[i]), TF_TensorType(in->tensors[i]), (long long)n, dtype);
      fail(ctx, TFTRAIN_INVALID_ARGUMENT, message);
      TF_DeleteStatus(status);
      release(in);
      return 0;
    }
  }
  for (int i = 0; i < scalars; i++) {
    TF_Tensor* scalar = NULL;
    TF_GetInput(ctx, refs + 1 + i, &scalar, status);
    if (TF_GetCode(status) != TFTRAIN_OK || TF_TensorElementCount(scalar) != 1) {
      snprintf(message, sizeof(message), "%s: input %d must be a float64 scalar", op, refs + 1 + i);
      fail(ctx, TFTRAIN_INVALID_ARGUMENT, message);
      if (scalar != NULL) {
        TF_DeleteTensor(scalar);
      }
      TF_DeleteStatus(status);
      release(in);
      return 0;
    }
    in->scalars[i] = *(const double*)TF_TensorData(scalar);
    TF_DeleteTensor(scalar);
  }
  TF_DeleteStatus(status);
  return 1;
}

static int read_inputs(TF_OpKernelContext* ctx, const char* op, int refs, int scalars, int dtype, inputs* in) {
  return read_state_inputs(ctx, op, refs, 0, scalars, dtype, in);
}

static void set_scalar_output(TF_OpKernelContext* ctx, double value) {
  TF_Status* status = TF_NewStatus();
  TF_Tensor* out = TF_AllocateOutput(ctx, 0, TFTRAIN_DT_DOUBLE, NULL, 0, sizeof(double), status);
  if (TF_GetCode(status) == TFTRAIN_OK) {
    *(double*)TF_TensorData(out) = value;
    TF_DeleteTensor(out);
  } else {
    TF_OpKernelContext_Failure(ctx, status);
  }
  TF_DeleteStatus(status);
}

static void scalar_output_shape(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* scalar = TF_ShapeInferenceContextScalar(ctx);
  TF_ShapeInferenceContextSetOutput(ctx, 0, scalar, status);
  TF_DeleteShapeHandle(scalar);
}

/* K scalar outputs (the reductions' sums). */
static void scalar_outputs(TF_ShapeInferenceContext* ctx, TF_Status* status, int k) {
  TF_ShapeHandle* scalar = TF_ShapeInferenceContextScalar(ctx);
  for (int i = 0; i < k; i++) {
    TF_ShapeInferenceContextSetOutput(ctx, i, scalar, status);
  }
  TF_DeleteShapeHandle(scalar);
}
#define SCALAR_OUTPUTS(K) \
  static void scalar_outputs_##K(TF_ShapeInferenceContext* ctx, TF_Status* status) { scalar_outputs(ctx, status, K); }
SCALAR_OUTPUTS(1)
SCALAR_OUTPUTS(2)
SCALAR_OUTPUTS(3)
SCALAR_OUTPUTS(4)

static void no_outputs(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  (void)ctx;
  (void)status;
}

/* Kernel instances only remember their attributes. */
typedef struct {
  int dtype;
  int adaptive;        /* KaFiStO: whether the average slot is updated */
  int belief;          /* Apollo: rebound = belief */
  int decay_type;      /* Apollo: 0 l2, 1 decoupled, 2 stable */
} attributes;

static void* create_kernel(TF_OpKernelConstruction* ctx) {
  attributes* a = calloc(1, sizeof(attributes));
  TF_Status* status = TF_NewStatus();
  TF_OpKernelConstruction_GetAttrType(ctx, "T", &a->dtype, status);
  if (TF_GetCode(status) != TFTRAIN_OK) {
    TF_OpKernelConstruction_Failure(ctx, status);
  }
  char text[16] = {0};
  TF_SetStatus(status, TFTRAIN_OK, "");
  TF_OpKernelConstruction_GetAttrString(ctx, "rebound", text, sizeof(text) - 1, status);
  a->belief = TF_GetCode(status) == TFTRAIN_OK && strncmp(text, "belief", 6) == 0;
  memset(text, 0, sizeof(text));
  TF_SetStatus(status, TFTRAIN_OK, "");
  TF_OpKernelConstruction_GetAttrString(ctx, "weight_decay_type", text, sizeof(text) - 1, status);
  if (TF_GetCode(status) == TFTRAIN_OK) {
    a->decay_type = strncmp(text, "decoupled", 9) == 0 ? 1 : strncmp(text, "stable", 6) == 0 ? 2 : 0;
  }
  TF_DeleteStatus(status);
  return a;
}

static void delete_kernel(void* kernel) { free(kernel); }

/* ---------------------------------------------------------------------------------------------------------------
 * KaFiStO Dynamics, eq. 13 for [x, v] followed by the next step's predict (see Kafisto.java):
 *   d = g + wd x̂;  x = x̂ - c1 d;  v = v̂ - c2 d;  x_avg = βx x_avg + (1 - βx) x;  x̂ = x + v;  v̂ = α v
 * returns Σ (x - x_avg)² for the adaptive Q of eq. 25. */

#define KAFISTO_LOOP(T, NAME)                                                                                      \
  __attribute__((target_clones("avx2", "default"))) static double NAME(                                    \
      T* restrict x, T* restrict v, T* restrict avg, const T* restrict g, int64_t n, T c1, T c2, T alpha, T beta,   \
      T wd) {                                                                                                      \
    double deviation = 0;                                                                                          \
    const T rest = (T)1 - beta;                                                                                    \
    if (avg != NULL) {                                                                                             \
      _Pragma("omp simd reduction(+ : deviation)") for (int64_t i = 0; i < n; i++) {                              \
        T d = g[i] + wd * x[i];                                                                                    \
        T xk = x[i] - c1 * d;                                                                                      \
        T vk = v[i] - c2 * d;                                                                                      \
        T ak = beta * avg[i] + rest * xk;                                                                          \
        x[i] = xk + vk;                                                                                            \
        v[i] = alpha * vk;                                                                                         \
        avg[i] = ak;                                                                                               \
        T dev = xk - ak;                                                                                           \
        deviation += (double)(dev * dev);                                                                          \
      }                                                                                                            \
    } else {                                                                                                       \
      _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                        \
        T d = g[i] + wd * x[i];                                                                                    \
        T xk = x[i] - c1 * d;                                                                                      \
        T vk = v[i] - c2 * d;                                                                                      \
        x[i] = xk + vk;                                                                                            \
        v[i] = alpha * vk;                                                                                         \
      }                                                                                                            \
    }                                                                                                              \
    return deviation;                                                                                              \
  }

KAFISTO_LOOP(float, kafisto_float)
KAFISTO_LOOP(double, kafisto_double)

static void kafisto_compute(void* kernel, TF_OpKernelContext* ctx) {
  const attributes* a = kernel;
  const char* op = a->adaptive ? "TftrainKafistoDynamicsUpdate" : "TftrainKafistoDynamicsUpdateFixedQ";
  int refs = a->adaptive ? 3 : 2;
  inputs in;
  if (!read_inputs(ctx, op, refs, 5, a->dtype, &in)) {
    return;
  }
  int64_t n = TF_TensorElementCount(in.tensors[0]);
  void* avg = a->adaptive ? TF_TensorData(in.tensors[2]) : NULL;
  const void* grad = TF_TensorData(in.tensors[refs]);
  const double* s = in.scalars; /* position gain, velocity gain, alpha, beta_x, weight decay */
  double deviation;
  if (a->dtype == TFTRAIN_DT_FLOAT) {
    deviation = kafisto_float(TF_TensorData(in.tensors[0]), TF_TensorData(in.tensors[1]), avg, grad, n,
                              (float)s[0], (float)s[1], (float)s[2], (float)s[3], (float)s[4]);
  } else {
    deviation = kafisto_double(TF_TensorData(in.tensors[0]), TF_TensorData(in.tensors[1]), avg, grad, n, s[0],
                               s[1], s[2], s[3], s[4]);
  }
  release(&in);
  if (a->adaptive) {
    set_scalar_output(ctx, deviation);
  }
}

static void* create_kafisto_adaptive(TF_OpKernelConstruction* ctx) {
  attributes* a = create_kernel(ctx);
  a->adaptive = 1;
  return a;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Apollo (authors' optim/apollo.py), for one variable, in two passes over its elements:
 *   pass 1: with g (+ wd x for l2) and Δg = g - m:  Σ d⁴, Σ Δg d, Σ B d², max|Δg|
 *           den = (Σ d⁴)^¼ + e;  δ = -α Σ(Δg/den · d/den) - Σ(B (d/den)²) = -(α Σ Δg d + Σ B d²) / den²
 *   (stable decay: a pass for mean(D))
 *   pass 2: m = m + α Δg;  B = B + δ (d/den)²;  D = max(|B|, rb) (+ e/α for belief);  d = m / D (+ decay);
 *           x = x - lr d */

/* Pass 1 reads x only for L2 decay (g + wd x): without it, that is a quarter less traffic. */
#define APOLLO_MOMENTS_BODY(T, GRADIENT)                                                                           \
  _Pragma("omp simd reduction(+ : fourth, projection, curvature) reduction(max : largest)") for (int64_t i = 0;   \
                                                                                                 i < n; i++) {     \
    T dg = (GRADIENT)-m[i];                                                                                        \
    T d2 = d[i] * d[i];                                                                                            \
    fourth += (double)d2 * (double)d2;                                                                             \
    projection += (double)dg * (double)d[i];                                                                       \
    curvature += (double)b[i] * (double)d2;                                                                        \
    double magnitude = fabs((double)dg);                                                                           \
    largest = magnitude > largest ? magnitude : largest;                                                           \
  }

#define APOLLO_LOOPS(T, SUFFIX)                                                                                    \
  __attribute__((target_clones("avx2", "default"))) static void apollo_moments_##SUFFIX(                  \
      const T* restrict x, const T* restrict m, const T* restrict b, const T* restrict d, const T* restrict g,     \
      int64_t n, T l2, double out[4]) {                                                                            \
    double fourth = 0, projection = 0, curvature = 0, largest = 0;                                                 \
    if (l2 != 0) {                                                                                                 \
      APOLLO_MOMENTS_BODY(T, g[i] + l2 * x[i])                                                                     \
    } else {                                                                                                       \
      APOLLO_MOMENTS_BODY(T, g[i])                                                                                 \
    }                                                                                                              \
    out[0] = fourth;                                                                                               \
    out[1] = projection;                                                                                           \
    out[2] = curvature;                                                                                            \
    out[3] = largest;                                                                                              \
  }                                                                                                                \
  __attribute__((target_clones("avx2", "default"))) static double apollo_mean_d_##SUFFIX(                 \
      const T* restrict b, const T* restrict d, int64_t n, T inv_den, T delta, T rebound, T shift) {               \
    double sum = 0;                                                                                                \
    _Pragma("omp simd reduction(+ : sum)") for (int64_t i = 0; i < n; i++) {                                       \
      T ds = d[i] * inv_den;                                                                                       \
      T bi = b[i] + delta * ds * ds;                                                                               \
      T mag = bi < 0 ? -bi : bi;                                                                                   \
      sum += (double)((mag > rebound ? mag : rebound) + shift);                                                    \
    }                                                                                                              \
    return n > 0 ? sum / (double)n : 0.0;                                                                          \
  }                                                                                                                \
  __attribute__((target_clones("avx2", "default"))) static void apollo_update_##SUFFIX(                   \
      T* restrict x, T* restrict m, T* restrict b, T* restrict d, const T* restrict g, int64_t n, T l2, T alpha,  \
      T inv_den, T delta, T rebound, T shift, T decay, T lr) {                                                     \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                          \
      T xi = x[i];                                                                                                 \
      T dg = g[i] + l2 * xi - m[i];                                                                                \
      T mi = m[i] + alpha * dg;                                                                                    \
      T ds = d[i] * inv_den;                                                                                       \
      T bi = b[i] + delta * ds * ds;                                                                               \
      T mag = bi < 0 ? -bi : bi;                                                                                   \
      T denominator = (mag > rebound ? mag : rebound) + shift;                                                     \
      T direction = mi / denominator + decay * xi;                                                                 \
      m[i] = mi;                                                                                                   \
      b[i] = bi;                                                                                                   \
      d[i] = direction;                                                                                            \
      x[i] = xi - lr * direction;                                                                                  \
    }                                                                                                              \
  }

APOLLO_LOOPS(float, float)
APOLLO_LOOPS(double, double)

static void apollo_compute(void* kernel, TF_OpKernelContext* ctx) {
  const attributes* a = kernel;
  inputs in;
  if (!read_inputs(ctx, "TftrainApolloUpdate", 4, 5, a->dtype, &in)) {
    return;
  }
  /* scalars: lr, alpha (bias-corrected), eps, sigma, weight decay */
  const double lr = in.scalars[0], alpha = in.scalars[1], eps = in.scalars[2], sigma = in.scalars[3];
  const double wd = in.scalars[4];
  const double l2 = a->decay_type == 0 ? wd : 0.0;
  int64_t n = TF_TensorElementCount(in.tensors[0]);
  void *x = TF_TensorData(in.tensors[0]), *m = TF_TensorData(in.tensors[1]);
  void *b = TF_TensorData(in.tensors[2]), *d = TF_TensorData(in.tensors[3]);
  const void* g = TF_TensorData(in.tensors[4]);
  int single = a->dtype == TFTRAIN_DT_FLOAT;

  double moments[4];
  if (single) {
    apollo_moments_float(x, m, b, d, g, n, (float)l2, moments);
  } else {
    apollo_moments_double(x, m, b, d, g, n, l2, moments);
  }
  const double e = a->belief ? eps : eps / sigma;
  const double rebound = a->belief ? moments[3] : sigma;
  const double shift = a->belief ? e / alpha : 0.0;
  const double den = pow(moments[0], 0.25) + e;
  const double delta = -(alpha * moments[1] + moments[2]) / (den * den);
  double decay = 0.0;
  if (a->decay_type == 1) {
    decay = wd;
  } else if (a->decay_type == 2 && wd != 0) {
    double mean_d = single ? apollo_mean_d_float(b, d, n, (float)(1 / den), (float)delta, (float)rebound,
                                                 (float)shift)
                           : apollo_mean_d_double(b, d, n, 1 / den, delta, rebound, shift);
    decay = wd / mean_d;
  }
  if (single) {
    apollo_update_float(x, m, b, d, g, n, (float)l2, (float)alpha, (float)(1 / den), (float)delta, (float)rebound,
                        (float)shift, (float)decay, (float)lr);
  } else {
    apollo_update_double(x, m, b, d, g, n, l2, alpha, 1 / den, delta, rebound, shift, decay, lr);
  }
  release(&in);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Element-wise programs: one kernel for every optimizer whose per-parameter update is element-wise (Lion, Adan,
 * the torch-semantics family, ...). The Java side (ElementwiseUpdate) writes the update once, as an expression, and
 * either builds it from graph ops or encodes it as a program for this kernel: a list of instructions
 * [opcode, dst, a, b, c, e] over registers that each hold a block of elements. The kernel reads each state tensor and
 * the gradient once per block, runs the program on the block, and writes the state back in
 * place — one pass over memory, as a hand-written fused kernel would. It computes in the variable's type, as the
 * graph ops do. Scalars (learning rate, bias corrections, step-dependent coefficients) come in as float64 inputs,
 * computed in the graph, and are rounded to the variable's type as the graph's casts round them.
 *
 * Inputs: N state refs (the variable first), the gradient, M float64 scalars. Attribute `program`.
 *
 * TftrainElementwiseReduceK runs a program without stores on the state as it is (by value, read-only) and returns
 * K float64 sums of squares (OP_SUMSQ), accumulated in double: the per-variable norms that LAMB's trust ratio,
 * LARS's local rate and MARS's clip need before their element-wise pass. */

enum {
  OP_STATE = 0, /* dst <- state[a] */
  OP_GRAD = 1,  /* dst <- g */
  OP_SCALAR = 2, /* dst <- scalars[a] */
  OP_ADD = 3, OP_SUB = 4, OP_MUL = 5, OP_DIV = 6, OP_MAX = 7, OP_MIN = 8, /* dst <- a op b */
  OP_SQRT = 9, OP_ABS = 10, OP_NEG = 11, OP_SIGN = 12, OP_SQUARE = 13,  /* dst <- f(a) */
  OP_SELECT = 14, /* dst <- a != 0 ? b : c */
  OP_STORE = 15,  /* state[dst] <- a */
  OP_AXPBY = 16,  /* dst <- a b + c e   (β m + (1 - β) g: the moving averages, as two products and a sum) */
  OP_SUBMUL = 17, /* dst <- a - b c     (x - lr d) */
  OP_SUMSQ = 18,  /* sums[dst] += sum of a^2 over the block (reductions only) */
  OP_COUNT = 19
};

#define PROGRAM_MAX_STATES 6
#define PROGRAM_MAX_REGISTERS 96
#define PROGRAM_BLOCK 128
#define PROGRAM_MAX_SUMS 4

typedef struct {
  int dtype;
  int sums;      /* K: 0 for an update program, 1..PROGRAM_MAX_SUMS for a reduction */
  int scalars;   /* M */
  int length;    /* instructions */
  int32_t* code; /* 6 ints per instruction */
  unsigned char scalar[PROGRAM_MAX_REGISTERS]; /* registers loaded by OP_SCALAR: one value in every element */
} program;

/* Registers each instruction reads: 0 = none (loads), bit 0 = a, 1 = b, 2 = c, 3 = e. */
static int program_reads(int op) {
  switch (op) {
    case OP_STATE:
    case OP_GRAD:
    case OP_SCALAR:
      return 0;
    case OP_SQRT:
    case OP_ABS:
    case OP_NEG:
    case OP_SIGN:
    case OP_SQUARE:
    case OP_STORE:
    case OP_SUMSQ:
      return 1;
    case OP_SELECT:
    case OP_SUBMUL:
      return 7;
    case OP_AXPBY:
      return 15;
    default:
      return 3;
  }
}

/* sums = 0: an update program (stores, no OP_SUMSQ); sums = K: a reduction (OP_SUMSQ into 0..K-1, no stores). */
static void* create_program_with_sums(TF_OpKernelConstruction* ctx, int sums) {
  program* p = calloc(1, sizeof(program));
  TF_Status* status = TF_NewStatus();
  if (p == NULL) {
    TF_SetStatus(status, TFTRAIN_RESOURCE_EXHAUSTED, "TftrainElementwiseUpdate: out of memory");
    TF_OpKernelConstruction_Failure(ctx, status);
    TF_DeleteStatus(status);
    return NULL;
  }
  p->sums = sums;
  TF_OpKernelConstruction_GetAttrType(ctx, "T", &p->dtype, status);
  int32_t m = 0;
  if (TF_GetCode(status) == TFTRAIN_OK) {
    TF_OpKernelConstruction_GetAttrInt32(ctx, "M", &m, status);
    p->scalars = m;
  }
  int32_t size = 0, total = 0;
  if (TF_GetCode(status) == TFTRAIN_OK) {
    TF_OpKernelConstruction_GetAttrSize(ctx, "program", &size, &total, status);
  }
  if (TF_GetCode(status) == TFTRAIN_OK && (size % 6 != 0 || size == 0)) {
    TF_SetStatus(status, TFTRAIN_INVALID_ARGUMENT, "TftrainElementwiseUpdate: program must be 6 ints an instruction");
  }
  if (TF_GetCode(status) == TFTRAIN_OK) {
    p->code = malloc(sizeof(int32_t) * (size_t)size);
    if (p->code == NULL) {
      TF_SetStatus(status, TFTRAIN_RESOURCE_EXHAUSTED, "TftrainElementwiseUpdate: out of memory");
    } else {
      p->length = size / 6;
      TF_OpKernelConstruction_GetAttrInt32List(ctx, "program", p->code, size, status);
    }
  }
  /* Registers are written once, before they are read (so `restrict` holds and no row is read uninitialised). */
  unsigned char defined[PROGRAM_MAX_REGISTERS] = {0};
  for (int i = 0; TF_GetCode(status) == TFTRAIN_OK && i < p->length; i++) {
    const int32_t* in = p->code + 6 * i;
    /* Every register operand must name a register; loads name a state or scalar, checked against the inputs. */
    int bad = in[0] < 0 || in[0] >= OP_COUNT;
    for (int j = 1; j < 6; j++) {
      bad |= in[j] < 0 || in[j] >= PROGRAM_MAX_REGISTERS;
    }
    bad |= (in[0] == OP_STORE && (sums > 0 || in[1] >= PROGRAM_MAX_STATES))
           || (in[0] == OP_STATE && in[2] >= PROGRAM_MAX_STATES) || (in[0] == OP_SUMSQ && in[1] >= sums);
    if (!bad) {
      int reads = program_reads(in[0]);
      for (int j = 0; j < 4; j++) {
        bad |= (reads >> j & 1) && !defined[in[2 + j]];
      }
      if (in[0] != OP_STORE && in[0] != OP_SUMSQ) {
        bad |= defined[in[1]];
        defined[in[1]] = 1;
        p->scalar[in[1]] = in[0] == OP_SCALAR;
      }
    }
    if (bad) {
      char message[160];
      snprintf(message, sizeof(message), "TftrainElementwiseUpdate: instruction %d is malformed", i);
      TF_SetStatus(status, TFTRAIN_INVALID_ARGUMENT, message);
    }
  }
  if (TF_GetCode(status) != TFTRAIN_OK) {
    TF_OpKernelConstruction_Failure(ctx, status);
  }
  TF_DeleteStatus(status);
  return p;
}

static void* create_program(TF_OpKernelConstruction* ctx) { return create_program_with_sums(ctx, 0); }

/* TftrainElementwiseReduceK: K from the op's name (TF's C API gives kernels no attribute of the output count). */
#define CREATE_REDUCTION(K) \
  static void* create_reduction_##K(TF_OpKernelConstruction* ctx) { return create_program_with_sums(ctx, K); }
CREATE_REDUCTION(1)
CREATE_REDUCTION(2)
CREATE_REDUCTION(3)
CREATE_REDUCTION(4)

static void delete_program(void* kernel) {
  program* p = kernel;
  if (p != NULL) {
    free(p->code);
    free(p);
  }
}

/* One block: n <= PROGRAM_BLOCK elements starting at `offset`, in the variable's type T (8 floats or 4 doubles per
 * AVX2 vector). A loaded state or gradient register points into the tensor itself (no copy); computed registers are
 * scratch rows; scalar registers are filled once, on the first block, and keep their value. Stores come last in a
 * program, after every instruction that reads the block. */
/* The instructions of one block of n elements (n in scope: a constant for full blocks, so that gcc drops the
 * remainder loops and peeling from every instruction's loop). */
#define PROGRAM_INSTRUCTIONS(T)                                                                                    \
    for (int k = 0; k < p->length; k++) {                                                                           \
      const int32_t* in = p->code + 6 * k;                                                                          \
      int op = in[0];                                                                                               \
      if (op == OP_STATE) {                                                                                         \
        r[in[1]] = (T*)state[in[2]] + offset;                                                                       \
        continue;                                                                                                   \
      }                                                                                                             \
      if (op == OP_GRAD) {                                                                                          \
        r[in[1]] = (T*)grad + offset;                                                                               \
        continue;                                                                                                   \
      }                                                                                                             \
      if (op == OP_SUMSQ) {                                                                                         \
        const T* src = r[in[2]];                                                                                    \
        double sum = 0;                                                                                             \
        _Pragma("omp simd reduction(+ : sum)") for (int i = 0; i < n; i++) sum += (double)src[i] * (double)src[i]; \
        sums[in[1]] += sum;                                                                                         \
        continue;                                                                                                   \
      }                                                                                                             \
      if (op == OP_STORE) {                                                                                         \
        T* dst = (T*)state[in[1]] + offset;                                                                         \
        const T* src = r[in[2]];                                                                                    \
        if (dst != src) {                                                                                           \
          _Pragma("omp simd") for (int i = 0; i < n; i++) dst[i] = src[i];                                         \
        }                                                                                                           \
        continue;                                                                                                   \
      }                                                                                                             \
      T* restrict d = scratch[in[1]];                                                                               \
      r[in[1]] = d;                                                                                                 \
      if (op == OP_SCALAR) {                                                                                        \
        if (offset == 0) {                                                                                          \
          T v = (T)scalars[in[2]];                                                                                  \
          _Pragma("omp simd") for (int i = 0; i < PROGRAM_BLOCK; i++) d[i] = v;                                    \
        }                                                                                                           \
        continue;                                                                                                   \
      }                                                                                                             \
      const T* restrict a = r[in[2]];                                                                               \
      const T* restrict b = r[in[3]];                                                                               \
      const T* restrict c = r[in[4]];                                                                               \
      const T* restrict e = r[in[5]];                                                                               \
      switch (op) {                                                                                                 \
        case OP_ADD: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] + b[i]; break;                    \
        case OP_SUB: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] - b[i]; break;                    \
        case OP_MUL: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] * b[i]; break;                    \
        case OP_DIV: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] / b[i]; break;                    \
        /* TF's Maximum/Minimum/Sign: NaN in, NaN out; otherwise Eigen's choices (max(-0, +0) = -0). Written as  \
        * single-comparison selects, one NaN check at a time, so that gcc vectorises the loops. */                  \
        case OP_MAX:                                                                                                 \
          _Pragma("omp simd") for (int i = 0; i < n; i++) {                                                          \
            T x = a[i], y = b[i];                                                                                    \
            T m = x < y ? y : x;                                                                                     \
            m = x != x ? x : m;                                                                                      \
            d[i] = y != y ? y : m;                                                                                   \
          }                                                                                                          \
          break;                                                                                                     \
        case OP_MIN:                                                                                                 \
          _Pragma("omp simd") for (int i = 0; i < n; i++) {                                                          \
            T x = a[i], y = b[i];                                                                                    \
            T m = y < x ? y : x;                                                                                     \
            m = x != x ? x : m;                                                                                      \
            d[i] = y != y ? y : m;                                                                                   \
          }                                                                                                          \
          break;                                                                                                     \
        case OP_SQRT: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = (T)sqrt(a[i]); break;                   \
        case OP_ABS: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = (T)fabs(a[i]); break;                    \
        case OP_NEG: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = -a[i]; break;                            \
        case OP_SIGN:                                                                                                \
          _Pragma("omp simd") for (int i = 0; i < n; i++) {                                                          \
            T x = a[i];                                                                                              \
            T s = (T)(x > 0) - (T)(x < 0);                                                                           \
            d[i] = x != x ? x : s;                                                                                   \
          }                                                                                                          \
          break;                                                                                                     \
        case OP_SQUARE: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] * a[i]; break;                 \
        case OP_SELECT:                                                                                              \
          if (p->scalar[in[2]]) { /* one flag for the whole tensor (the first step's special case): a copy */        \
            const T* restrict chosen = a[0] != 0 ? b : c;                                                            \
            _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = chosen[i];                                        \
            break;                                                                                                   \
          }                                                                                                          \
          _Pragma("omp simd") for (int i = 0; i < n; i++) {                                                          \
            T x = b[i], y = c[i];                                                                                    \
            d[i] = a[i] != 0 ? x : y;                                                                                \
          }                                                                                                          \
          break;                                                                                                     \
        case OP_AXPBY: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] * b[i] + c[i] * e[i]; break;    \
        case OP_SUBMUL: _Pragma("omp simd") for (int i = 0; i < n; i++) d[i] = a[i] - b[i] * c[i]; break;         \
        default: break;                                                                                             \
      }                                                                                                             \
    }

#define PROGRAM_BLOCK_FUNCTION(T, NAME)                                                                            \
  __attribute__((target_clones("avx2", "default"))) static void NAME(                                          \
      const program* p, T (*scratch)[PROGRAM_BLOCK], T** r, void* const* state, const void* grad,                   \
      const double* scalars, double* sums, int64_t offset, int count) {                                             \
    if (count == PROGRAM_BLOCK) {                                                                                   \
      const int n = PROGRAM_BLOCK;                                                                                  \
      PROGRAM_INSTRUCTIONS(T)                                                                                       \
    } else {                                                                                                        \
      const int n = count;                                                                                          \
      PROGRAM_INSTRUCTIONS(T)                                                                                       \
    }                                                                                                               \
  }

PROGRAM_BLOCK_FUNCTION(float, run_block_float)
PROGRAM_BLOCK_FUNCTION(double, run_block_double)

/* Both kinds: an update (N state refs, stores in place) or a reduction (N states by value, K float64 outputs). */
static void program_compute(void* kernel, TF_OpKernelContext* ctx) {
  const program* p = kernel;
  const int reduction = p->sums > 0;
  const char* op = reduction ? "TftrainElementwiseReduce" : "TftrainElementwiseUpdate";
  char message[160];
  int states = TF_NumInputs(ctx) - 1 - p->scalars;
  if (states < 1 || states > PROGRAM_MAX_STATES || p->scalars > MAX_INPUTS) {
    snprintf(message, sizeof(message), "%s: 1 to 6 state inputs and at most 16 scalars", op);
    fail(ctx, TFTRAIN_INVALID_ARGUMENT, message);
    return;
  }
  inputs in;
  if (!read_state_inputs(ctx, op, states, reduction, p->scalars, p->dtype, &in)) {
    return;
  }
  for (int k = 0; k < p->length; k++) {
    const int32_t* instruction = p->code + 6 * k;
    if ((instruction[0] == OP_STATE && instruction[2] >= states) || (instruction[0] == OP_STORE && instruction[1] >= states)
        || (instruction[0] == OP_SCALAR && instruction[2] >= p->scalars)) {
      snprintf(message, sizeof(message), "%s: the program names a missing input", op);
      fail(ctx, TFTRAIN_INVALID_ARGUMENT, message);
      release(&in);
      return;
    }
  }
  int64_t n = TF_TensorElementCount(in.tensors[0]);
  void* state[PROGRAM_MAX_STATES] = {0};
  for (int i = 0; i < states; i++) {
    state[i] = TF_TensorData(in.tensors[i]);
  }
  const void* grad = TF_TensorData(in.tensors[states]);
  double sums[PROGRAM_MAX_SUMS] = {0};
  size_t element = p->dtype == TFTRAIN_DT_FLOAT ? sizeof(float) : sizeof(double);
  void* scratch = malloc(element * PROGRAM_MAX_REGISTERS * PROGRAM_BLOCK);
  if (scratch == NULL) {
    snprintf(message, sizeof(message), "%s: out of memory", op);
    fail(ctx, TFTRAIN_RESOURCE_EXHAUSTED, message);
    release(&in);
    return;
  }
  void* registers[PROGRAM_MAX_REGISTERS] = {0};
  for (int64_t offset = 0; offset < n; offset += PROGRAM_BLOCK) {
    int count = n - offset < PROGRAM_BLOCK ? (int)(n - offset) : PROGRAM_BLOCK;
    if (p->dtype == TFTRAIN_DT_FLOAT) {
      run_block_float(p, scratch, (float**)registers, state, grad, in.scalars, sums, offset, count);
    } else {
      run_block_double(p, scratch, (double**)registers, state, grad, in.scalars, sums, offset, count);
    }
  }
  free(scratch);
  release(&in);
  TF_Status* status = TF_NewStatus();
  for (int k = 0; k < p->sums && TF_GetCode(status) == TFTRAIN_OK; k++) {
    TF_Tensor* out = TF_AllocateOutput(ctx, k, TFTRAIN_DT_DOUBLE, NULL, 0, sizeof(double), status);
    if (TF_GetCode(status) == TFTRAIN_OK) {
      *(double*)TF_TensorData(out) = sums[k];
      TF_DeleteTensor(out);
    }
  }
  if (TF_GetCode(status) != TFTRAIN_OK) {
    TF_OpKernelContext_Failure(ctx, status);
  }
  TF_DeleteStatus(status);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Registration, when TensorFlow loads the library. */

static void check(TF_Status* status, const char* what) {
  if (TF_GetCode(status) != TFTRAIN_OK) {
    fprintf(stderr, "tftrain kernels: registering %s failed (code %d)\n", what, TF_GetCode(status));
  }
}

static void register_kernel(const char* op, void* (*create)(TF_OpKernelConstruction*),
                            void (*compute)(void*, TF_OpKernelContext*), TF_Status* status) {
  int types[2] = {TFTRAIN_DT_FLOAT, TFTRAIN_DT_DOUBLE};
  for (int i = 0; i < 2; i++) {
    TF_KernelBuilder* builder = TF_NewKernelBuilder(op, "CPU", create, compute, delete_kernel);
    TF_KernelBuilder_TypeConstraint(builder, "T", types[i], status);
    check(status, op);
    TF_RegisterKernelBuilder(op, builder, status);
    check(status, op);
  }
}

__attribute__((constructor)) static void register_tftrain_kernels(void) {
  TF_Status* status = TF_NewStatus();

  TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder("TftrainKafistoDynamicsUpdate");
  TF_OpDefinitionBuilderAddInput(op, "var: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "velocity: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "average: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "grad: T");
  TF_OpDefinitionBuilderAddInput(op, "position_gain: double");
  TF_OpDefinitionBuilderAddInput(op, "velocity_gain: double");
  TF_OpDefinitionBuilderAddInput(op, "alpha: double");
  TF_OpDefinitionBuilderAddInput(op, "beta_x: double");
  TF_OpDefinitionBuilderAddInput(op, "weight_decay: double");
  TF_OpDefinitionBuilderAddOutput(op, "deviation: double");
  TF_OpDefinitionBuilderAddAttr(op, "T: {float, double}");
  TF_OpDefinitionBuilderSetIsStateful(op, true);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, scalar_output_shape);
  TF_RegisterOpDefinition(op, status);
  check(status, "TftrainKafistoDynamicsUpdate");
  register_kernel("TftrainKafistoDynamicsUpdate", create_kafisto_adaptive, kafisto_compute, status);

  op = TF_NewOpDefinitionBuilder("TftrainKafistoDynamicsUpdateFixedQ");
  TF_OpDefinitionBuilderAddInput(op, "var: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "velocity: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "grad: T");
  TF_OpDefinitionBuilderAddInput(op, "position_gain: double");
  TF_OpDefinitionBuilderAddInput(op, "velocity_gain: double");
  TF_OpDefinitionBuilderAddInput(op, "alpha: double");
  TF_OpDefinitionBuilderAddInput(op, "beta_x: double");
  TF_OpDefinitionBuilderAddInput(op, "weight_decay: double");
  TF_OpDefinitionBuilderAddAttr(op, "T: {float, double}");
  TF_OpDefinitionBuilderSetIsStateful(op, true);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, no_outputs);
  TF_RegisterOpDefinition(op, status);
  check(status, "TftrainKafistoDynamicsUpdateFixedQ");
  register_kernel("TftrainKafistoDynamicsUpdateFixedQ", create_kernel, kafisto_compute, status);

  op = TF_NewOpDefinitionBuilder("TftrainApolloUpdate");
  TF_OpDefinitionBuilderAddInput(op, "var: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "exp_avg_grad: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "approx_hessian: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "update: Ref(T)");
  TF_OpDefinitionBuilderAddInput(op, "grad: T");
  TF_OpDefinitionBuilderAddInput(op, "lr: double");
  TF_OpDefinitionBuilderAddInput(op, "alpha: double");
  TF_OpDefinitionBuilderAddInput(op, "eps: double");
  TF_OpDefinitionBuilderAddInput(op, "sigma: double");
  TF_OpDefinitionBuilderAddInput(op, "weight_decay: double");
  TF_OpDefinitionBuilderAddAttr(op, "T: {float, double}");
  TF_OpDefinitionBuilderAddAttr(op, "rebound: {'constant', 'belief'}");
  TF_OpDefinitionBuilderAddAttr(op, "weight_decay_type: {'l2', 'decoupled', 'stable'}");
  TF_OpDefinitionBuilderSetIsStateful(op, true);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, no_outputs);
  TF_RegisterOpDefinition(op, status);
  check(status, "TftrainApolloUpdate");
  register_kernel("TftrainApolloUpdate", create_kernel, apollo_compute, status);

  /* TftrainElementwiseUpdate1..6: the number of state refs is in the name (TF's C API has no ref lists). */
  for (int states = 1; states <= PROGRAM_MAX_STATES; states++) {
    char name[64];
    char input[32];
    snprintf(name, sizeof(name), "TftrainElementwiseUpdate%d", states);
    op = TF_NewOpDefinitionBuilder(name);
    for (int i = 0; i < states; i++) {
      snprintf(input, sizeof(input), "state%d: Ref(T)", i);
      TF_OpDefinitionBuilderAddInput(op, input);
    }
    TF_OpDefinitionBuilderAddInput(op, "grad: T");
    TF_OpDefinitionBuilderAddInput(op, "scalars: M * double");
    TF_OpDefinitionBuilderAddAttr(op, "T: {float, double}");
    TF_OpDefinitionBuilderAddAttr(op, "M: int >= 0");
    TF_OpDefinitionBuilderAddAttr(op, "program: list(int)");
    TF_OpDefinitionBuilderSetIsStateful(op, true);
    TF_OpDefinitionBuilderSetShapeInferenceFunction(op, no_outputs);
    TF_RegisterOpDefinition(op, status);
    check(status, name);
    int types[2] = {TFTRAIN_DT_FLOAT, TFTRAIN_DT_DOUBLE};
    for (int i = 0; i < 2; i++) {
      TF_KernelBuilder* builder = TF_NewKernelBuilder(name, "CPU", create_program, program_compute, delete_program);
      TF_KernelBuilder_TypeConstraint(builder, "T", types[i], status);
      check(status, name);
      TF_RegisterKernelBuilder(name, builder, status);
      check(status, name);
    }
  }

  /* TftrainElementwiseReduce1..4: K sums of squares; the states by value (the op only reads). */
  void* (*create_reduction[PROGRAM_MAX_SUMS])(TF_OpKernelConstruction*) = {
      create_reduction_1, create_reduction_2, create_reduction_3, create_reduction_4};
  void (*reduction_shapes[PROGRAM_MAX_SUMS])(TF_ShapeInferenceContext*, TF_Status*) = {
      scalar_outputs_1, scalar_outputs_2, scalar_outputs_3, scalar_outputs_4};
  for (int k = 1; k <= PROGRAM_MAX_SUMS; k++) {
    char name[64];
    char output[32];
    snprintf(name, sizeof(name), "TftrainElementwiseReduce%d", k);
    op = TF_NewOpDefinitionBuilder(name);
    TF_OpDefinitionBuilderAddInput(op, "states: N * T");
    TF_OpDefinitionBuilderAddInput(op, "grad: T");
    TF_OpDefinitionBuilderAddInput(op, "scalars: M * double");
    for (int i = 0; i < k; i++) {
      snprintf(output, sizeof(output), "sum%d: double", i);
      TF_OpDefinitionBuilderAddOutput(op, output);
    }
    TF_OpDefinitionBuilderAddAttr(op, "T: {float, double}");
    TF_OpDefinitionBuilderAddAttr(op, "N: int >= 1");
    TF_OpDefinitionBuilderAddAttr(op, "M: int >= 0");
    TF_OpDefinitionBuilderAddAttr(op, "program: list(int)");
    TF_OpDefinitionBuilderSetShapeInferenceFunction(op, reduction_shapes[k - 1]);
    TF_RegisterOpDefinition(op, status);
    check(status, name);
    int types[2] = {TFTRAIN_DT_FLOAT, TFTRAIN_DT_DOUBLE};
    for (int i = 0; i < 2; i++) {
      TF_KernelBuilder* builder =
          TF_NewKernelBuilder(name, "CPU", create_reduction[k - 1], program_compute, delete_program);
      TF_KernelBuilder_TypeConstraint(builder, "T", types[i], status);
      check(status, name);
      TF_RegisterKernelBuilder(name, builder, status);
      check(status, name);
    }
  }

  TF_DeleteStatus(status);
}
