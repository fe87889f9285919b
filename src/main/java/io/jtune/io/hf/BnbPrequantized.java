package io.jtune.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.safetensors.SafetensorsCheckpoint;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.BlockAbsmax;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.DType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A checkpoint saved by transformers from a bitsandbytes load_in_4bit model (config.json's
 * quantization_config with quant_method bitsandbytes and load_in_4bit): each quantized linear
 * weight W is stored as bitsandbytes' QuantState serializes it,
 * <pre>
 *   W                                   U8 [ceil(n/2), 1]  two codes a byte, first element high
 *   W.absmax                            F32 [blocks], or U8 [blocks] (codes) when double-quantized
 *   W.quant_map                         F32 [16]           the NF4 / FP4 values
 *   W.nested_absmax, W.nested_quant_map F32 [ceil(blocks/256)], F32 [256]   (double quantization)
 *   W.quant_state.bitsandbytes__nf4     U8 JSON: quant_type, blocksize, dtype, shape
 *                                       (and nested_blocksize, nested_dtype, nested_offset)
 * </pre>
 * and the other tensors (embeddings, norms, lm_head) as usual. The weights load as they are, no
 * requantization: the codes and absmax (with the stored nested map) are used as stored.
 */
public final class BnbPrequantized {
    private static final String STATE = ".quant_state.bitsandbytes__";
    private static final List<String> AUXILIARY = List.of(".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map");
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path configFile;

    private BnbPrequantized(Path configFile) {
        this.configFile = configFile;
    }

    /** The checkpoint's quantization, or null when config.json has no quantization_config; other methods are errors. */
    static BnbPrequantized of(JsonNode rawConfig, Path configFile) {
        JsonNode q = rawConfig.get("quantization_config");
        if (q == null || q.isNull()) return null;
        String method = q.path("quant_method").asText("unknown");
        if (!method.equals("bitsandbytes")) {
            throw new HfModelException(configFile, "quantization_config: quantized checkpoints with quant_method " + method
                    + " are not supported (jtune loads bitsandbytes 4-bit checkpoints; otherwise use the full-precision model,"
                    + " with quantization_bit to quantize it on loading)");
        }
        if (q.path("load_in_8bit").asBoolean(false)) {
            throw new HfModelException(configFile, "quantization_config: bitsandbytes 8-bit (load_in_8bit, LLM.int8) checkpoints are not"
                    + " supported yet; use the full-precision model with quantization_bit: 8");
        }
        if (!q.path("load_in_4bit").asBoolean(false)) {
            throw new HfModelException(configFile, "quantization_config: a bitsandbytes config with neither load_in_4bit nor load_in_8bit");
        }
        return new BnbPrequantized(configFile);
    }

    /** The 4-bit type a quantized weight is stored in, or null when the tensor is not quantized. */
    static Bnb4BitType typeOf(SafetensorsCheckpoint checkpoint, String name) {
        for (Bnb4BitType t : Bnb4BitType.values()) {
            if (checkpoint.find(name + STATE + t.bnbName()) != null) return t;
        }
        return null;
    }

    /** True for the tensors that describe a quantized weight rather than being one. */
    static boolean isAuxiliary(String name) {
        if (name.contains(STATE)) return true;
        for (String suffix : AUXILIARY) if (name.endsWith(".weight" + suffix)) return true;
        return false;
    }

    /** Reads quantized weight {@code e} (its layout checked against the shape config.json implies). */
    Bnb4BitMatrix matrix(SafetensorsCheckpoint checkpoint, ModelTensor e) {
        String name = e.name();
        Bnb4BitType type = typeOf(checkpoint, name);
        StoredTensor stateTensor = checkpoint.find(name + STATE + type.bnbName());
        JsonNode state = readState(stateTensor);
        if (state.path("blocksize").asInt(-1) != Bnb4BitMatrix.BLOCK) {
            throw bad(stateTensor, "blocksize " + state.path("blocksize") + " is not supported (jtune reads bitsandbytes' default, 64)");
        }
        JsonNode shape = state.path("shape");
        if (shape.size() != 2 || shape.get(0).asLong() != e.rows() || shape.get(1).asLong() != e.cols()) {
            throw bad(stateTensor, "shape " + shape + " but config.json implies [" + e.rows() + ", " + e.cols() + "]");
        }
        long n = e.elements(), blocks = (n + Bnb4BitMatrix.BLOCK - 1) / Bnb4BitMatrix.BLOCK;
        StoredTensor codes = require(checkpoint, name, DType.U8, (n + 1) / 2);
        float[] map = floats(require(checkpoint, name + ".quant_map", DType.F32, 16));
        if (!Arrays.equals(map, type.quantMap())) {
            throw bad(checkpoint.find(name + ".quant_map"), "holds values other than bitsandbytes' " + type.bnbName() + " table");
        }
        BlockAbsmax absmax;
        if (state.has("nested_offset")) {
            if (state.path("nested_blocksize").asInt(-1) != BlockAbsmax.NESTED_BLOCK) {
                throw bad(stateTensor, "nested_blocksize " + state.path("nested_blocksize") + " is not supported (bitsandbytes uses 256)");
            }
            byte[] q = require(checkpoint, name + ".absmax", DType.U8, blocks).data().toArray(ValueLayout.JAVA_BYTE);
            float[] nested = floats(require(checkpoint, name + ".nested_absmax", DType.F32, (blocks + 255) / 256));
            float[] nestedMap = floats(require(checkpoint, name + ".nested_quant_map", DType.F32, 256));
            absmax = BlockAbsmax.nested(q, nested, nestedMap, (float) state.path("nested_offset").asDouble());
        } else {
            absmax = BlockAbsmax.plain(floats(require(checkpoint, name + ".absmax", DType.F32, blocks)));
        }
        return Bnb4BitMatrix.of(type, codes.data(), absmax, e.rows(), e.cols());
    }

    private static JsonNode readState(StoredTensor t) {
        if (t.dtype() != DType.U8) throw bad(t, "has dtype " + t.dtype() + "; a packed quant_state is U8 (JSON bytes)");
        try {
            return new ObjectMapper().readTree(t.data().toArray(ValueLayout.JAVA_BYTE));
        } catch (IOException ex) {
            throw bad(t, "is not the JSON bitsandbytes packs its quant_state into: " + ex.getMessage());
        }
    }

    private StoredTensor require(SafetensorsCheckpoint checkpoint, String name, DType dtype, long elements) {
        StoredTensor t = checkpoint.find(name);
        if (t == null) {
            throw new HfModelException(configFile, "the bitsandbytes 4-bit checkpoint lacks tensor '" + name + "' (" + dtype + ", "
                    + elements + " elements)");
        }
        if (t.dtype() != dtype || t.elementCount() != elements) {
            throw bad(t, "is " + t.dtype() + " " + StoredTensor.shapeString(t.shape()) + "; bitsandbytes' layout for this weight has "
                    + dtype + " with " + elements + " elements");
        }
        return t;
    }

    private static float[] floats(StoredTensor t) {
        float[] out = new float[(int) t.elementCount()];
        java.lang.foreign.MemorySegment.copy(t.data(), FLOAT_LE, 0, out, 0, out.length);
        return out;
    }

    private static HfModelException bad(StoredTensor t, String problem) {
        return new HfModelException(t.file(), "tensor '" + t.name() + "' " + problem);
    }
}
