package io.github.tftrain.cli.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One GPU per local worker when CUDA_VISIBLE_DEVICES lists enough of them; otherwise the workers share. */
class LocalWorkersTest {
  @Test
  void eachWorkerGetsItsOwnGpuWhenThereAreEnough() {
    assertEquals(Optional.of("0"), LocalWorkers.gpuOf("0,1", 0, 2));
    assertEquals(Optional.of("3"), LocalWorkers.gpuOf("2, 3,5", 1, 2));
    assertEquals(Optional.empty(), LocalWorkers.gpuOf("0", 1, 2), "fewer GPUs than workers: they share");
    assertEquals(Optional.empty(), LocalWorkers.gpuOf(null, 0, 2), "no GPU named: nothing set");
    assertEquals(Optional.empty(), LocalWorkers.gpuOf("", 0, 2));
  }
}
