package io.github.tftrain.cli.runs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A killed worker's scratch folder is removed by the next worker; a live worker's and other folders are kept. */
class AbandonedScratchTest {
  @Test
  void onlyTheFoldersOfWorkersThatNoLongerRunAreRemoved(@TempDir Path tmp) throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    Path killed = Files.createDirectories(tmp.resolve("tftrain-worker-1-" + ended.pid() + "-123"));
    Files.writeString(Files.createDirectories(killed.resolve("run/checkpoints")).resolve("x"), "x");
    Path live = Files.createDirectories(tmp.resolve("tftrain-worker-1-" + ProcessHandle.current().pid() + "-456"));
    Path other = Files.createDirectories(tmp.resolve("tftrain-workers-789"));
    Runs.removeAbandonedScratch(tmp);
    assertFalse(Files.exists(killed), "the ended worker's folder");
    assertTrue(Files.isDirectory(live), "a running worker's folder stays");
    assertTrue(Files.isDirectory(other), "a folder of another kind stays");
  }
}
