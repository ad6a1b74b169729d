package io.github.tftrain.cli.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.cli.settings.Home;
import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's optimizer tables are the declarations: the text between its GENERATED markers equals what
 * {@code tftrain optimizers --markdown} renders from the registered specs (regenerate it with that command).
 */
class ReadmeTablesTest {
  private static final String BEGIN = "<!-- BEGIN GENERATED: tftrain optimizers --markdown -->\n";
  private static final String END = "<!-- END GENERATED -->";

  @Test
  void readmeTablesAgreeWithTheDeclarations() throws IOException {
    Path root = Home.testdata("fashion-mnist").toAbsolutePath().normalize().getParent().getParent();
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    String documented = readme.substring(begin + BEGIN.length(), end);
    assertEquals(OptimizerDocs.markdown(Optimizers.specs()), documented,
        "README.md's optimizer tables differ from the declarations: paste `tftrain optimizers --markdown` between"
            + " the GENERATED markers");
  }
}
