package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.tensor.DType;
import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * PEFT's PiSSA initialisation of one linear module (LoraLayer.pissa_init): with W [out x in] ≈ U·S·Vᵀ
 * truncated to the top r singular triplets and s the LoRA scale,
 * <pre>
 *   A = diag(√(S/s))·Vᵀ   [r x in]        B = U·diag(√(S/s))   [out x r]        so s·B·A = U·S·Vᵀ
 *   residual = W − s·B·A, stored in the base weight's dtype, frozen in W's place
 * </pre>
 * The SVD is exact (PEFT's "pissa", LLaMA-Factory's pissa_iter -1; see {@link #exact}) or
 * torch.svd_lowrank's randomized one (Halko et al. 2009, algorithm 5; "pissa_niter_K") with q = r
 * and K subspace iterations. The random start is seeded from the seed and the module's name, so the
 * same seed gives the same factors and residual: loading a trained PiSSA adapter re-derives the
 * residual it was trained on.
 * A singular vector's sign is not defined by the decomposition; s·B·A and the residual are.
 */
final class PissaInit {
    /** A [r x in], B [out x r] and the residual W − s·B·A. */
    record Result(float[] a, float[] b, Matrix residual) {}

    private PissaInit() {}

    static Result of(String module, Matrix w, int rank, float scale, FinetuneSpec.Pissa pissa, DType dtype, long seed) {
        int out = w.rows(), in = w.cols();
        if (rank > Math.min(out, in)) {
            throw new JtuneException("pissa_init: lora_rank " + rank + " exceeds the rank of " + module + " [" + out + " x " + in + "]");
        }
        Svd svd = pissa.exact() ? exact(w, rank)
                : randomized(w, rank, pissa.iterations(), new SplittableRandom(seed * 0x9E3779B97F4A7C15L + module.hashCode()));
        float[] a = new float[rank * in], b = new float[out * rank];
        for (int i = 0; i < rank; i++) {
            double root = Math.sqrt(svd.s[i] / scale);
            for (int c = 0; c < in; c++) a[i * in + c] = (float) (root * svd.v[c][i]);
            for (int o = 0; o < out; o++) b[o * rank + i] = (float) (svd.u[o][i] * root);
        }
        return new Result(a, b, residual(w, a, b, rank, scale, dtype));
    }

    /** Left vectors u [out][r], values s [r] (descending), right vectors v [in][r]. */
    private record Svd(double[][] u, double[] s, double[][] v) {}

    /**
     * The top r singular triplets of W, exactly (up to rounding): the eigen-decomposition (Apache
     * Commons Math, double) of the smaller Gram matrix, WᵀW [in x in] or W·Wᵀ [out x out], formed by
     * the fp32 GEMM (PEFT also runs its SVD in fp32), whose eigenvalues are σ² and eigenvectors one
     * side's singular vectors; the other side is W·v / σ (or Wᵀ·u / σ). A dense SVD of W itself
     * (Commons Math's) is several times slower and gives the same top triplets; the Gram matrix's
     * squared condition number only blurs the singular values far below the top r, which PiSSA drops.
     */
    private static Svd exact(Matrix w, int rank) {
        int out = w.rows(), in = w.cols();
        boolean rightSide = out >= in;           // eigenvectors of WᵀW are V; of W·Wᵀ, U
        int dim = rightSide ? in : out;
        float[] dense = new float[out * in];
        for (int o = 0; o < out; o++) w.readRow(o, 0, in, dense, o * in);
        float[] gram = new float[dim * dim];
        if (rightSide) {
            Gemm.matmulTransA(dense, 0, dense, 0, gram, 0, out, in, in, false);          // WᵀW
        } else {
            Gemm.matmulTransB(dense, 0, Matrix.of(dense, out, in), gram, 0, out, false);  // W·Wᵀ
        }
        EigenDecomposition eigen = new EigenDecomposition(new Array2DRowRealMatrix(toDouble(gram, dim, dim), false));
        double[] values = eigen.getRealEigenvalues();
        Integer[] order = new Integer[dim];
        for (int i = 0; i < dim; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(values[y], values[x]));
        double[] s = new double[rank];
        double[][] known = new double[dim][rank], other = new double[rightSide ? out : in][rank];
        for (int i = 0; i < rank; i++) {
            s[i] = Math.sqrt(Math.max(0, values[order[i]]));
            double[] vector = eigen.getEigenvector(order[i]).toArray();
            for (int c = 0; c < dim; c++) known[c][i] = vector[c];
            // the other side: W·v / σ (v on the input side) or Wᵀ·u / σ
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < in; c++) {
                    double x = dense[o * in + c];
                    if (rightSide) other[o][i] += x * vector[c];
                    else other[c][i] += x * vector[o];
                }
            }
            for (double[] row : other) row[i] = s[i] > 0 ? row[i] / s[i] : 0;
        }
        return rightSide ? new Svd(other, s, known) : new Svd(known, s, other);
    }

    /**
     * torch.svd_lowrank(W, q, niter): a basis Q of W's dominant subspace by subspace iteration from a
     * Gaussian start (on Wᵀ when in &gt; q or out &lt; in, as torch does), then the SVD of the small
     * projection. Products with W run through the GEMM (fp32, as PEFT runs them); bases are
     * orthonormalised in double. Matrices with q columns are held transposed ([q x dim], row-major).
     */
    private static Svd randomized(Matrix w, int q, int iterations, SplittableRandom random) {
        int m = w.rows(), n = w.cols();
        if (m < n || n > q) {
            float[] qt = basis(w, true, q, iterations, random);      // [q x n]: a basis of Wᵀ's range
            double[][] projected = columns(timesW(w, qt, q), q, m);   // W·Q [m x q]
            SingularValueDecomposition small = new SingularValueDecomposition(new Array2DRowRealMatrix(projected, false));
            RealMatrix v = new Array2DRowRealMatrix(columns(qt, q, n), false).multiply(small.getV());
            return new Svd(small.getU().getData(), small.getSingularValues(), v.getData());
        }
        float[] qt = basis(w, false, q, iterations, random);          // [q x m]: a basis of W's range
        double[][] projected = toDouble(timesWt(w, qt, q), q, n);    // Qᵀ·W [q x n]
        SingularValueDecomposition small = new SingularValueDecomposition(new Array2DRowRealMatrix(projected, false));
        RealMatrix u = new Array2DRowRealMatrix(columns(qt, q, m), false).multiply(small.getU());
        return new Svd(u.getData(), small.getSingularValues(), small.getV().getData());
    }

    /** torch's get_approximate_basis of W (or Wᵀ when {@code transposed}), transposed: [q x rows of that matrix]. */
    private static float[] basis(Matrix w, boolean transposed, int q, int iterations, SplittableRandom random) {
        int m = w.rows(), n = w.cols();
        int startDim = transposed ? m : n;
        float[] start = new float[q * startDim];
        for (int i = 0; i < start.length; i++) start[i] = (float) random.nextGaussian();
        float[] x = transposed ? timesWt(w, start, q) : timesW(w, start, q);
        orthonormalise(x, q);
        for (int i = 0; i < iterations; i++) {
            x = transposed ? timesW(w, x, q) : timesWt(w, x, q);
            orthonormalise(x, q);
            x = transposed ? timesWt(w, x, q) : timesW(w, x, q);
            orthonormalise(x, q);
        }
        return x;
    }

    /** (W·X)ᵀ = Xᵀ·Wᵀ [q x out] from Xᵀ [q x in]. */
    private static float[] timesW(Matrix w, float[] xt, int q) {
        float[] out = new float[q * w.rows()];
        Gemm.matmulTransB(xt, 0, w, out, 0, q, false);
        return out;
    }

    /** (Wᵀ·Y)ᵀ = Yᵀ·W [q x in] from Yᵀ [q x out]. */
    private static float[] timesWt(Matrix w, float[] yt, int q) {
        float[] out = new float[q * w.cols()];
        Gemm.matmul(yt, 0, w, out, 0, q, false);
        return out;
    }

    /** Orthonormalises the q rows of x [q x dim] in place: modified Gram–Schmidt in double, run twice for stability. */
    private static void orthonormalise(float[] x, int q) {
        int dim = x.length / q;
        double[][] rows = toDouble(x, q, dim);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < q; i++) {
                for (int j = 0; j < i; j++) {
                    double dot = 0;
                    for (int c = 0; c < dim; c++) dot += rows[i][c] * rows[j][c];
                    for (int c = 0; c < dim; c++) rows[i][c] -= dot * rows[j][c];
                }
                double norm = 0;
                for (int c = 0; c < dim; c++) norm += rows[i][c] * rows[i][c];
                norm = Math.sqrt(norm);
                for (int c = 0; c < dim; c++) rows[i][c] = norm > 0 ? rows[i][c] / norm : 0;
            }
        }
        for (int i = 0; i < q; i++) for (int c = 0; c < dim; c++) x[i * dim + c] = (float) rows[i][c];
    }

    private static double[][] toDouble(float[] x, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[r][c] = x[r * cols + c];
        return out;
    }

    /** The [dim x q] matrix whose columns are the rows of xt [q x dim]. */
    private static double[][] columns(float[] xt, int q, int dim) {
        double[][] out = new double[dim][q];
        for (int i = 0; i < q; i++) for (int c = 0; c < dim; c++) out[c][i] = xt[i * dim + c];
        return out;
    }

    /** W − s·B·A in fp32 (as PEFT computes it), then stored in {@code dtype} (PEFT casts it back to the weight's dtype). */
    private static Matrix residual(Matrix w, float[] a, float[] b, int rank, float scale, DType dtype) {
        int out = w.rows(), in = w.cols();
        float[] values = new float[out * in];
        float[] row = new float[in];
        for (int o = 0; o < out; o++) {
            w.readRow(o, 0, in, row, 0);
            for (int i = 0; i < rank; i++) {
                float coefficient = scale * b[o * rank + i];
                for (int c = 0; c < in; c++) row[c] -= coefficient * a[i * in + c];
            }
            System.arraycopy(row, 0, values, o * in, in);
        }
        if (dtype != DType.BF16 && dtype != DType.F16) return Matrix.of(values, out, in);
        short[] halves = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            halves[i] = dtype == DType.BF16 ? Numbers.floatToBf16(values[i]) : Numbers.floatToF16(values[i]);
        }
        return Matrix.of(MemorySegment.ofArray(halves), dtype, out, in);
    }
}
