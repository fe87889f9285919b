package io.jtune.model;

/**
 * A fused projection's output (Phi-3's qkv_proj, gate_up_proj) holds its parts side by side in every
 * row: [q | k | v], [gate | up]. {@code split} copies them out to the buffers the layer's steps read;
 * {@code join} packs the parts' gradients back into one row-major gradient for the fused module's
 * backward. Each is the other's adjoint, so the fused layer's gradient is exactly the split layer's.
 */
final class FusedColumns {
    private FusedColumns() {}

    /** fused [n x (wa + wb)] → a [n x wa], b [n x wb]. */
    static void split(float[] fused, int n, float[] a, int wa, float[] b, int wb) {
        int width = wa + wb;
        for (int t = 0; t < n; t++) {
            System.arraycopy(fused, t * width, a, t * wa, wa);
            System.arraycopy(fused, t * width + wa, b, t * wb, wb);
        }
    }

    /** fused [n x (wa + wb + wc)] → a [n x wa], b [n x wb], c [n x wc]. */
    static void split(float[] fused, int n, float[] a, int wa, float[] b, int wb, float[] c, int wc) {
        int width = wa + wb + wc;
        for (int t = 0; t < n; t++) {
            System.arraycopy(fused, t * width, a, t * wa, wa);
            System.arraycopy(fused, t * width + wa, b, t * wb, wb);
            System.arraycopy(fused, t * width + wa + wb, c, t * wc, wc);
        }
    }

    /** a [n x wa], b [n x wb] → fused [n x (wa + wb)]. */
    static void join(float[] fused, int n, float[] a, int wa, float[] b, int wb) {
        int width = wa + wb;
        for (int t = 0; t < n; t++) {
            System.arraycopy(a, t * wa, fused, t * width, wa);
            System.arraycopy(b, t * wb, fused, t * width + wa, wb);
        }
    }

    /** a [n x wa], b [n x wb], c [n x wc] → fused [n x (wa + wb + wc)]. */
    static void join(float[] fused, int n, float[] a, int wa, float[] b, int wb, float[] c, int wc) {
        int width = wa + wb + wc;
        for (int t = 0; t < n; t++) {
            System.arraycopy(a, t * wa, fused, t * width, wa);
            System.arraycopy(b, t * wb, fused, t * width + wa, wb);
            System.arraycopy(c, t * wc, fused, t * width + wa + wb, wc);
        }
    }

    /**
     * fused [n x (heads + 2·kvHeads)·d] grouped by kv head — per group g its heads/kvHeads query heads,
     * then key head g, then value head g (BLOOM, Falcon) — into q [n x heads·d], k and v [n x kvHeads·d].
     */
    static void splitGrouped(float[] fused, int n, int heads, int kvHeads, int d, float[] q, float[] k, float[] v) {
        int perGroup = heads / kvHeads, width = (heads + 2 * kvHeads) * d;
        for (int t = 0; t < n; t++) {
            int src = t * width;
            for (int g = 0; g < kvHeads; g++) {
                System.arraycopy(fused, src, q, (t * heads + g * perGroup) * d, perGroup * d);
                src += perGroup * d;
                System.arraycopy(fused, src, k, (t * kvHeads + g) * d, d);
                src += d;
                System.arraycopy(fused, src, v, (t * kvHeads + g) * d, d);
                src += d;
            }
        }
    }

    /** The adjoint of {@link #splitGrouped}: q, k, v (or their gradients) packed back into the grouped layout. */
    static void joinGrouped(float[] fused, int n, int heads, int kvHeads, int d, float[] q, float[] k, float[] v) {
        int perGroup = heads / kvHeads, width = (heads + 2 * kvHeads) * d;
        for (int t = 0; t < n; t++) {
            int dst = t * width;
            for (int g = 0; g < kvHeads; g++) {
                System.arraycopy(q, (t * heads + g * perGroup) * d, fused, dst, perGroup * d);
                dst += perGroup * d;
                System.arraycopy(k, (t * kvHeads + g) * d, fused, dst, d);
                dst += d;
                System.arraycopy(v, (t * kvHeads + g) * d, fused, dst, d);
                dst += d;
            }
        }
    }
}
