package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.data.template.Templates;
import io.jtune.io.gguf.OllamaModelfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** examples/merge_lora/*.yaml use only keys `jtune export` supports, with templates it can write Modelfiles for. */
class MergeLoraExamplesTest {
    @Test
    void everyExampleLoadsWithoutWarningsAndNamesAnAdapterAndAnExportDir() throws IOException {
        List<Path> examples;
        try (Stream<Path> s = Files.list(Path.of("examples/merge_lora"))) {
            examples = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(examples.size() >= 5, examples.toString());
        for (Path example : examples) {
            JtuneConfig c = ConfigLoader.load(example, List.of());
            assertEquals(List.of(), c.warnings(), example.toString());
            assertNotNull(c.export().exportDir(), example.toString());
            assertEquals(5, c.export().exportSizeGb());
            assertEquals(1, c.model().adapterNameOrPath().size(), example.toString());
            assertTrue(c.finetuning().isLora());
            Templates.get(c.data().template());
            if (c.data().template().equals("chatglm3")) {
                // token slots: no Modelfile, as in LLaMA-Factory (the export warns and writes the rest)
                assertThrows(io.jtune.JtuneException.class, () -> OllamaModelfile.format("chatglm3"));
            } else {
                OllamaModelfile.format(c.data().template());
            }
        }
    }
}
