package io.jtune.io.gguf;

import io.jtune.JtuneException;
import java.util.Locale;

/**
 * The output types jtune exports (llama.cpp's --outtype), with the general.file_type id
 * (LlamaFileType) and the tensor type used for the 2-D weight matrices. Norms, biases and other
 * 1-D tensors are always F32, as llama.cpp's converter keeps them.
 */
public enum GgufFileType {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q8_0(7, GgmlType.Q8_0),
    /** MOSTLY_Q4_0: written by tests (ggml's reference quantizer) to check the Q4_0 reading path; export_gguf does not offer it. */
    Q4_0(2, GgmlType.Q4_0),
    BF16(32, GgmlType.BF16);

    private final int fileTypeId;
    private final GgmlType weightType;

    GgufFileType(int fileTypeId, GgmlType weightType) {
        this.fileTypeId = fileTypeId;
        this.weightType = weightType;
    }

    /** The value of general.file_type. */
    public int fileTypeId() { return fileTypeId; }

    /** The tensor type of 2-D weight matrices. */
    public GgmlType weightType() { return weightType; }

    /** Parses "f16", "bf16", "q8_0", "f32" (case-insensitive). */
    public static GgufFileType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (GgufFileType t : values()) {
            if (t.name().equals(n)) return t;
        }
        throw new JtuneException("GGUF type '" + name + "' is not supported; allowed: f16, bf16, q8_0, f32");
    }
}
