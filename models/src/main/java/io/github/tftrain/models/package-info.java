/**
 * Reference models built from raw TensorFlow ops (WideResNet, CIFAR ResNet, DCGAN with WGAN-GP, LSTM and Transformer
 * language models) and the gradients TF-Java lacks for them. This module does not depend on tf-optimizers. The
 * models arrive with the models issue (#3); the dataset readers live in {@code io.github.tftrain.data}.
 */
package io.github.tftrain.models;
