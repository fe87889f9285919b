package io.jtune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LLaMA-Factory's quantization keys: values, defaults, and the errors for what jtune does not do. */
class QuantizationKeysTest {
    @TempDir Path dir;

    private JtuneConfig load(String yaml) throws IOException {
        Path p = dir.resolve("q.yaml");
        Files.writeString(p, "model_name_or_path: m\n" + yaml);
        return ConfigLoader.load(p, List.of());
    }

    private String error(String yaml) {
        return assertThrows(JtuneException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void qloraKeysAndTheirDefaults() throws IOException {
        ModelArguments m = load("quantization_bit: 4\n").model();
        assertTrue(m.quantized());
        assertEquals(4, m.quantizationBit());
        assertEquals("nf4", m.quantizationType());
        assertTrue(m.doubleQuantization());
        m = load("quantization_bit: 4\nquantization_type: fp4\ndouble_quantization: false\nquantization_method: bnb\n").model();
        assertEquals("fp4", m.quantizationType());
        assertFalse(m.doubleQuantization());
        assertEquals(8, load("quantization_bit: 8\n").model().quantizationBit());
        assertNull(load("").model().quantizationBit());
        assertTrue(load("quantization_bit: 4\n").warnings().isEmpty());
    }

    @Test
    void whatIsNotSupportedIsOneClearError() {
        String bits = error("quantization_bit: 3\n");
        assertTrue(bits.contains("quantization_bit") && bits.contains("4 or 8"), bits);
        String method = error("quantization_bit: 4\nquantization_method: awq\n");
        assertTrue(method.contains("quantization_method = awq is not supported") && method.contains("bnb"), method);
        String type = error("quantization_bit: 4\nquantization_type: int4\n");
        assertTrue(type.contains("quantization_type"), type);
        String full = error("quantization_bit: 4\nfinetuning_type: full\ndo_train: true\ndataset: d\noutput_dir: out\n");
        assertTrue(full.contains("quantization_bit") && full.contains("only compatible with finetuning_type lora"), full);
    }
}
