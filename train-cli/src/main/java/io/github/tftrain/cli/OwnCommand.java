package io.github.tftrain.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * This JVM's command line (its executable, its options, the class path or jar, the main class and the tftrain
 * arguments): what the CLI runs again when it starts itself in other processes (the XLA relaunch, local workers, the
 * distributed benchmark's workers).
 */
public final class OwnCommand {
  private OwnCommand() {}

  /** The executable followed by every argument. */
  public static List<String> get() {
    ProcessHandle.Info info = ProcessHandle.current().info();
    List<String> command = new ArrayList<>();
    command.add(info.command().orElseThrow(() -> new IllegalStateException("cannot find this JVM's executable")));
    command.addAll(List.of(info.arguments().orElseThrow(
        () -> new IllegalStateException("cannot read this JVM's arguments"))));
    return command;
  }
}
