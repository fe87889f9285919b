package io.jtune.io.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.io.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterWeightsTest {
    @TempDir Path dir;

    private static final List<AdapterWeights.Slot> SLOTS = List.of(
            new AdapterWeights.Slot("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", 2, 3, 0, false),
            new AdapterWeights.Slot("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", 4, 2, 6, false),
            new AdapterWeights.Slot("base_model.model.model.norm.weight", 1, 3, 14, true));

    @Test
    void roundTripsWithPeftShapes() throws Exception {
        float[] values = new float[17];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.5f - 3;
        Path file = dir.resolve(AdapterWeights.ADAPTER_FILE);
        AdapterWeights.write(file, SLOTS, values);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(f.tensor(SLOTS.get(0).name()).hasShape(2, 3));
            assertTrue(f.tensor(SLOTS.get(2).name()).hasShape(3));
        }
        float[] back = new float[17];
        AdapterWeights.read(file, SLOTS, back);
        assertArrayEquals(values, back);
    }

    @Test
    void missingAndExtraTensorsAreNamed() throws Exception {
        Path file = dir.resolve("a.safetensors");
        AdapterWeights.write(file, SLOTS.subList(0, 2), new float[17]);
        JtuneException missing = assertThrows(JtuneException.class, () -> AdapterWeights.read(file, SLOTS, new float[17]));
        assertTrue(missing.getMessage().contains("norm.weight") && missing.getMessage().contains("missing"), missing.getMessage());
        JtuneException extra = assertThrows(JtuneException.class, () -> AdapterWeights.read(file, SLOTS.subList(0, 1), new float[17]));
        assertTrue(extra.getMessage().contains("lora_B"), extra.getMessage());
    }

    @Test
    void shapeMismatchNamesBothShapes() throws Exception {
        Path file = dir.resolve("a.safetensors");
        AdapterWeights.write(file, List.of(new AdapterWeights.Slot("x", 3, 2, 0, false)), new float[6]);
        JtuneException e = assertThrows(JtuneException.class,
                () -> AdapterWeights.read(file, List.of(new AdapterWeights.Slot("x", 2, 3, 0, false)), new float[6]));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void adapterConfigRoundTripsWithPeftFields() throws Exception {
        var cfg = new LoraAdapterConfig(8, 16, 0.05, List.of("q_proj", "v_proj"), true, List.of("lm_head"), "Qwen/Qwen2.5-0.5B");
        cfg.write(dir);
        String json = Files.readString(dir.resolve("adapter_config.json"));
        assertTrue(json.contains("\"peft_type\" : \"LORA\"") && json.contains("\"task_type\" : \"CAUSAL_LM\"") && json.contains("\"lora_alpha\" : 16,"), json);
        assertEquals(cfg, LoraAdapterConfig.read(dir));
    }

    @Test
    void doraAndPissaConfigsRoundTripAndOtherBaseChangingInitsAreRefused() throws Exception {
        var cfg = new LoraAdapterConfig(8, 16, 0, List.of("q_proj"), false, List.of(), "m").withMethod(true, "pissa_niter_16");
        cfg.write(dir);
        String json = Files.readString(dir.resolve("adapter_config.json"));
        assertTrue(json.contains("\"use_dora\" : true") && json.contains("\"init_lora_weights\" : \"pissa_niter_16\""), json);
        assertEquals(cfg, LoraAdapterConfig.read(dir));
        for (String init : List.of("olora", "corda", "loftq", "pissa_niter_x")) {
            Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"init_lora_weights\":\"" + init + "\"}");
            JtuneException e = assertThrows(JtuneException.class, () -> LoraAdapterConfig.read(dir));
            assertTrue(e.getMessage().contains("init_lora_weights '" + init + "'"), e.getMessage());
        }
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"init_lora_weights\":\"gaussian\"}");
        assertEquals("gaussian", LoraAdapterConfig.read(dir).initLoraWeights(), "a trained adapter's own init scheme does not matter");
    }

    @Test
    void nonLoraAdaptersAreRefused() throws Exception {
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"IA3\",\"r\":8}");
        JtuneException e = assertThrows(JtuneException.class, () -> LoraAdapterConfig.read(dir));
        assertTrue(e.getMessage().contains("IA3"), e.getMessage());
    }
}
