package io.jtune.io.hf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bitsandbytes 4-bit checkpoint that is not what it claims: one clear error naming the file and tensor. */
class BnbPrequantizedTest {
    private static final Path GOLDEN = Path.of("src/test/resources/goldens/quantized/prequantized_nf4");
    private static final String W = "model.layers.0.self_attn.q_proj.weight";
    @TempDir Path tmp;

    /** The golden checkpoint with its tensors (and config) edited. */
    private Path variant(String name, UnaryOperator<List<TensorToWrite>> tensors, UnaryOperator<ObjectNode> config) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(GOLDEN.resolve("config.json").toFile());
        Files.writeString(dir.resolve("config.json"), config.apply(cfg).toString());
        try (SafetensorsFile f = SafetensorsFile.open(GOLDEN.resolve("model.safetensors"))) {
            List<TensorToWrite> all = new ArrayList<>();
            for (StoredTensor t : f.tensors()) all.add(TensorToWrite.of(t));
            SafetensorsWriter.writeFile(dir.resolve("model.safetensors"), tensors.apply(all), SafetensorsWriter.PT_METADATA);
        }
        return dir;
    }

    private String openAndRead(Path dir) {
        return assertThrows(HfModelException.class, () -> {
            try (HfModelDirectory hf = HfModelDirectory.open(dir)) {
                hf.matrix(W);
            }
        }).getMessage();
    }

    @Test
    void aMissingAbsmaxIsNamed() throws IOException {
        Path dir = variant("no-absmax", l -> l.stream().filter(t -> !t.name().equals(W + ".absmax")).toList(), c -> c);
        String m = openAndRead(dir);
        assertTrue(m.contains("lacks tensor '" + W + ".absmax'"), m);
    }

    @Test
    void anotherBlocksizeIsRefused() throws IOException {
        Path dir = variant("blocksize", l -> l.stream().map(t -> !t.name().equals(W + ".quant_state.bitsandbytes__nf4") ? t
                : bytes(t.name(), json("{\"quant_type\": \"nf4\", \"blocksize\": 128, "
                        + "\"dtype\": \"bfloat16\", \"shape\": [32, 32], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", "
                        + "\"nested_offset\": 0.01}"))).toList(), c -> c);
        String m = openAndRead(dir);
        assertTrue(m.contains("blocksize 128 is not supported"), m);
    }

    @Test
    void otherQuantizationMethodsAnd8BitAreRefused() throws IOException {
        Path gptq = variant("gptq", l -> l, c -> {
            ((ObjectNode) c.get("quantization_config")).put("quant_method", "gptq");
            return c;
        });
        String m = assertThrows(HfModelException.class, () -> HfModelDirectory.open(gptq).close()).getMessage();
        assertTrue(m.contains("quant_method gptq are not supported"), m);
        Path int8 = variant("int8", l -> l, c -> {
            ((ObjectNode) c.get("quantization_config")).put("load_in_8bit", true).put("load_in_4bit", false);
            return c;
        });
        m = assertThrows(HfModelException.class, () -> HfModelDirectory.open(int8).close()).getMessage();
        assertTrue(m.contains("load_in_8bit") && m.contains("quantization_bit: 8"), m);
    }

    private static TensorToWrite bytes(String name, MemorySegment data) {
        return TensorToWrite.ofBytes(name, DType.U8, new long[] {data.byteSize()}, data);
    }

    private static MemorySegment json(String text) {
        return MemorySegment.ofArray(text.getBytes(StandardCharsets.UTF_8));
    }
}
