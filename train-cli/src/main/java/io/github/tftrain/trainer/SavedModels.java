package io.github.tftrain.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;

/** Writing SavedModels: signatures from named inputs and outputs, and the export of a session. */
public final class SavedModels {
  private SavedModels() {}

  /** A signature from named inputs and outputs (sorted by name, so the SavedModel is deterministic). */
  public static Signature signature(String key, Map<String, ? extends Operand<?>> inputs,
      Map<String, ? extends Operand<?>> outputs) {
    Signature.Builder b = Signature.builder().key(key);
    new TreeMap<>(inputs).forEach(b::input);
    new TreeMap<>(outputs).forEach(b::output);
    return b.build();
  }

  /**
   * Writes text files, one entry per line, atomically into {@code dir} (created if needed): a job's
   * {@link TrainingJob#assets()} into a run directory or a SavedModel's {@code assets/}.
   */
  public static void writeTextFiles(Path dir, Map<String, java.util.List<String>> files) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, java.util.List<String>> file : files.entrySet()) {
      String text = String.join("\n", file.getValue()) + "\n";
      AtomicFiles.write(dir.resolve(file.getKey()),
          o -> o.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
  }

  /** Writes the session's graph and variables to {@code out} (which must not exist yet). */
  public static void write(Session session, Path out, Signature... signatures) throws IOException {
    if (Files.exists(out)) {
      throw new IOException(out + " already exists");
    }
    SavedModelBundle.exporter(out.toString()).withSession(session).withSignatures(signatures).export();
  }
}
