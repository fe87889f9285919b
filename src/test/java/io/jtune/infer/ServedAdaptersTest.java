package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.LoraAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lora_modules and run-time adapter loading over one base: names, errors that leave the served set alone, replies. */
class ServedAdaptersTest {
    @TempDir static Path tmp;
    static Path modelDir, presales, aftersales;
    static LocalChatEngine engine;

    @BeforeAll
    static void setUp() throws IOException {
        modelDir = TinyChatModels.write(tmp);
        presales = TinyAdapters.write(modelDir, tmp.resolve("presales"), 1);
        aftersales = TinyAdapters.write(modelDir, tmp.resolve("aftersales"), 2, 2, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj"));
        engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, "lora_modules=presales=" + presales + ",aftersales=" + aftersales)));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static String reply(LocalChatEngine e, String adapter, String message) {
        return e.generate(adapter, ChatRequest.of(message), TokenListener.IGNORE).text();
    }

    @Test
    void loraModulesNamesEachAdapterInOrder() {
        assertEquals(List.of("presales", "aftersales"), engine.adapterNames());
        assertEquals(Map.of("a", "x/y", "b", "z"),
                TinyChatModels.config(modelDir, "lora_modules=a=x/y, b=z").model().loraModules());
    }

    @Test
    void loraModulesEntriesAreChecked() {
        JtuneException noEquals = assertThrows(JtuneException.class, () -> TinyChatModels.config(modelDir, "lora_modules=presales").model());
        assertTrue(noEquals.getMessage().contains("lora_modules") && noEquals.getMessage().contains("NAME=PATH"), noEquals.getMessage());
        JtuneException twice = assertThrows(JtuneException.class, () -> TinyChatModels.config(modelDir, "lora_modules=a=x,a=y").model());
        assertTrue(twice.getMessage().contains("'a' is given twice"), twice.getMessage());
        JtuneException badName = assertThrows(JtuneException.class, () -> TinyChatModels.config(modelDir, "lora_modules=a b=x").model());
        assertTrue(badName.getMessage().contains("letters, digits"), badName.getMessage());
        JtuneException missing = assertThrows(JtuneException.class,
                () -> ChatModel.load(TinyChatModels.config(modelDir, "lora_modules=gone=" + tmp.resolve("gone"))));
        assertTrue(missing.getMessage().startsWith("lora_modules: adapter 'gone'"), missing.getMessage());
    }

    @Test
    void eachAdapterAnswersAsAModelLoadedWithItAlone() {
        for (Path adapter : List.of(presales, aftersales)) {
            try (LocalChatEngine alone = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, "adapter_name_or_path=" + adapter)))) {
                String name = adapter.getFileName().toString();
                for (String message : List.of("hello world", "你好")) {
                    assertEquals(reply(alone, null, message), reply(engine, name, message), name + ": " + message);
                }
            }
        }
        assertNotEquals(reply(engine, "presales", "hello world"), reply(engine, "aftersales", "hello world"));
        assertNotEquals(reply(engine, null, "hello world"), reply(engine, "presales", "hello world"));
        assertThrows(UnknownModelException.class, () -> reply(engine, "nobody", "hi"));
    }

    @Test
    void severalAdaptersInAdapterNameOrPathApplyInOrderAsLlamaFactoryMergesThem() throws Exception {
        // Reference: the first adapter merged into a new model folder by jtune export, the second loaded over it.
        Path merged = tmp.resolve("merged");
        Path exportConfig = java.nio.file.Files.writeString(tmp.resolve("export.yaml"), "model_name_or_path: " + modelDir + "\nadapter_name_or_path: "
                + presales + "\ntemplate: qwen\nfinetuning_type: lora\nexport_dir: " + merged + "\nexport_size: 5\nexport_device: cpu\n");
        new io.jtune.export.ModelExport(io.jtune.config.ConfigLoader.load(exportConfig, List.of()),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).run();
        try (LocalChatEngine both = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir,
                     "adapter_name_or_path=" + presales + "," + aftersales)));
             LocalChatEngine reference = new LocalChatEngine(ChatModel.load(TinyChatModels.config(merged,
                     "adapter_name_or_path=" + aftersales)))) {
            assertTrue(both.modelName().endsWith("+presales+aftersales"), both.modelName());
            for (String message : List.of("hello world", "你好")) {
                assertEquals(reply(reference, null, message), reply(both, null, message), message);
            }
            assertNotEquals(reply(both, null, "hello world"), reply(engine, "aftersales", "hello world"), "the first adapter counts");
        }
    }

    @Test
    void anAdapterHoldsOnlyItsOwnFactors() {
        LoraAdapter a = engine.model().servedAdapters().get("presales");
        var c = engine.model().model().config();
        int kv = c.numKeyValueHeads() * (c.hiddenSize() / c.numAttentionHeads());
        int perLayer = 4 * (c.hiddenSize() + c.hiddenSize()) + 4 * (c.hiddenSize() + kv); // q: r·(in+out), v: r·(in+out)
        assertEquals(c.numHiddenLayers() * perLayer, a.parameters().values().length);
        assertTrue(a.base() == engine.model().model(), "the adapter sits over the one loaded base");
    }

    @Test
    void badAdaptersAreRefusedAndTheServedSetStaysAsItWas() throws IOException {
        ServedAdapters served = engine.model().servedAdapters();
        List<String> before = served.names();

        assertRefused(served, "twice", presales, null); // loads
        assertTrue(served.unload("twice"));
        assertRefused(served, "presales", presales, "already been loaded");
        assertRefused(served, "none", tmp.resolve("no-such-folder"), "is not a folder");

        Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
        new LoraAdapterConfig(4, 8, 0, List.of("q_proj"), false, List.of(), modelDir.toString()).write(noWeights);
        assertRefused(served, "noweights", noWeights, AdapterWeights.ADAPTER_FILE);

        Path noConfig = Files.createDirectories(tmp.resolve("no-config"));
        Files.copy(presales.resolve(AdapterWeights.ADAPTER_FILE), noConfig.resolve(AdapterWeights.ADAPTER_FILE));
        assertRefused(served, "noconfig", noConfig, LoraAdapterConfig.FILE);

        // Rank 8 in the config, rank 4 in the tensors: shapes that do not fit.
        Path wrongShape = copyOf(presales, "wrong-shape");
        new LoraAdapterConfig(8, 16, 0, List.of("q_proj", "v_proj"), false, List.of(), modelDir.toString()).write(wrongShape);
        assertRefused(served, "wrongshape", wrongShape, "shape");

        // Another base: a hidden size the tiny model does not have.
        Path otherBase = TinyAdapters.write(otherModel(), tmp.resolve("other-base"), 3);
        assertRefused(served, "otherbase", otherBase, "shape");

        Path corrupt = copyOf(presales, "corrupt");
        byte[] bytes = Files.readAllBytes(corrupt.resolve(AdapterWeights.ADAPTER_FILE));
        Files.write(corrupt.resolve(AdapterWeights.ADAPTER_FILE), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(served, "truncated", corrupt, "truncated");
        Files.write(corrupt.resolve(AdapterWeights.ADAPTER_FILE), "not a safetensors file at all".getBytes());
        assertRefused(served, "garbage", corrupt, "corrupt");

        assertEquals(before, served.names());
        assertFalse(served.unload("never-loaded"));
    }

    private static void assertRefused(ServedAdapters served, String name, Path dir, String expected) {
        if (expected == null) {
            served.load(name, dir);
            return;
        }
        List<String> before = served.names();
        JtuneException e = assertThrows(JtuneException.class, () -> served.load(name, dir));
        assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains(expected), e.getMessage());
        assertEquals(before, served.names());
    }

    private static Path copyOf(Path adapter, String name) throws IOException {
        Path copy = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(adapter)) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    private static Path otherModel() throws IOException {
        return TinyChatModels.write(tmp.resolve("other"), 64);
    }
}
