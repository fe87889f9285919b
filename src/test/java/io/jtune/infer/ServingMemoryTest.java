package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.bench.DecodeBench;
import org.junit.jupiter.api.Test;

/** The figures docs/deploy.md sizes the Kubernetes memory request from (Qwen2.5-0.5B, bf16). */
class ServingMemoryTest {
    @Test
    void qwen25HalfBillionInBf16() {
        ServingMemory m = ServingMemory.of(DecodeBench.qwen25HalfB());
        // 494,032,768 parameters (tied embeddings counted once) at 2 bytes
        assertEquals(494_032_768L * 2, m.weightBytes());
        assertEquals(2 * 24 * 2 * 64 * 4, m.kvBytesPerToken()); // 24 KiB
        assertEquals(0.75 * (1L << 30), m.kvBytes(16, 2048), 1);
        assertEquals("weights 0.99 GB (memory-mapped), KV cache 24.0 KiB per token: 0.75 GiB for 16 sequences of 2048 tokens",
                m.describe(16, 2048));
    }
}
