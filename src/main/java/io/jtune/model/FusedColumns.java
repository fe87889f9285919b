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
}
