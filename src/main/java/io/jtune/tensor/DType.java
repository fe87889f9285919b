package io.jtune.tensor;

import java.util.Locale;

/** Element types as safetensors names them, with their size in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** True for the float types the engine can compute with (widened to fp32 where needed). */
    public boolean isComputable() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** Parses a safetensors dtype name ("BF16", "F32", ...); null when unknown. */
    public static DType fromSafetensorsName(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The torch_dtype / dtype name in config.json ("bfloat16", "float16", "float32"). */
    public static DType fromTorchName(String name) {
        return switch (name) {
            case "bfloat16" -> BF16;
            case "float16", "half" -> F16;
            case "float32", "float" -> F32;
            default -> null;
        };
    }

    public String torchName() {
        return switch (this) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F32 -> "float32";
            default -> name().toLowerCase(Locale.ROOT);
        };
    }
}
