package io.jtune.tensor;

/**
 * The plain, obviously-correct version of {@link Gemm}'s three products (one scalar dot product per
 * output element, summed in k order): what the tuned kernels are tested against.
 */
public final class GemmReference {
    private GemmReference() {}

    /** C[m x n] (+)= A[m x k] · Bᵀ where B is [n x k]: a linear layer's forward, y = x·Wᵀ. */
    public static void matmulTransB(float[] a, int aOff, Matrix b, float[] c, int cOff, int m, boolean accumulate) {
        int n = b.rows(), k = b.cols();
        float[] row = new float[k];
        for (int j = 0; j < n; j++) {
            b.readRow(j, 0, k, row, 0);
            for (int i = 0; i < m; i++) {
                float s = 0;
                int ai = aOff + i * k;
                for (int p = 0; p < k; p++) s += a[ai + p] * row[p];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    /** C[m x k] (+)= A[m x n] · B where B is [n x k]: a linear layer's input gradient, dX = dY·W. */
    public static void matmul(float[] a, int aOff, Matrix b, float[] c, int cOff, int m, boolean accumulate) {
        int n = b.rows(), k = b.cols();
        float[] acc = new float[m * k];
        float[] row = new float[k];
        for (int p = 0; p < n; p++) {
            b.readRow(p, 0, k, row, 0);
            for (int i = 0; i < m; i++) {
                float av = a[aOff + i * n + p];
                for (int j = 0; j < k; j++) acc[i * k + j] += av * row[j];
            }
        }
        for (int i = 0; i < m * k; i++) c[cOff + i] = accumulate ? c[cOff + i] + acc[i] : acc[i];
    }

    /** C[n x k] (+)= Aᵀ · X where A is [m x n] and X is [m x k]: a weight gradient, dW += dYᵀ·X. */
    public static void matmulTransA(float[] a, int aOff, float[] x, int xOff, float[] c, int cOff,
                                    int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                float s = 0;
                for (int p = 0; p < m; p++) s += a[aOff + p * n + i] * x[xOff + p * k + j];
                int ci = cOff + i * k + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }
}
