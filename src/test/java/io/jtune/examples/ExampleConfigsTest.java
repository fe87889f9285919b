package io.jtune.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.template.Templates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every config under examples/ is parsed and validated: it loads without errors or warnings, its
 * typed groups build, its template exists, and the datasets it names are in data/dataset_info.json.
 * (Running them needs the models; the quickstart's are made by ./jtune quickstart, the others by
 * ./jtune download.)
 */
class ExampleConfigsTest {
    static Stream<Path> examples() throws IOException {
        try (Stream<Path> s = Files.walk(Path.of("examples"))) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertTrue(all.size() >= 16, "examples found: " + all);
            return all.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void loadsAndValidates(Path example) {
        JtuneConfig c = ConfigLoader.load(example, List.of());
        assertEquals(List.of(), c.warnings(), example.toString());
        assertNotNull(c.model().modelNameOrPath());
        if (c.data().template() != null) Templates.get(c.data().template());
        String folder = example.getParent().getFileName().toString();
        switch (folder) {
            case "train_lora", "train_full", "train_qlora", "train_grpo", "train_ppo" -> {
                var t = c.training();
                assertTrue(t.doTrain(), example + " trains");
                assertNotNull(t.outputDir());
                assertFalse(c.data().dataset().isEmpty());
                DatasetRegistry registry = DatasetRegistry.load(Path.of(c.data().datasetDir()));
                for (String name : c.data().dataset()) registry.get(name);
            }
            case "merge_lora" -> assertNotNull(c.export().exportDir());
            case "inference" -> assertNotNull(c.data().template(), example + " names a template for chat");
            default -> throw new AssertionError("unexpected examples folder " + folder);
        }
    }
}
