package io.jtune.data.process;

/** LLaMA-Factory's infer_seqlen: how a (source, target) pair is cut to fit a length budget. */
public final class SequenceLength {
    private SequenceLength() {}

    /**
     * Returns {newSourceLen, newTargetLen}. A short target keeps all of it and the source is cut;
     * a short source keeps all of it and the target is cut; otherwise both are cut in proportion.
     */
    public static int[] infer(int sourceLen, int targetLen, int cutoffLen) {
        int maxTargetLen;
        if (targetLen * 2 < cutoffLen) {
            maxTargetLen = cutoffLen;
        } else if (sourceLen * 2 < cutoffLen) {
            maxTargetLen = cutoffLen - sourceLen;
        } else {
            maxTargetLen = (int) (cutoffLen * ((double) targetLen / (sourceLen + targetLen)));
        }
        int newTarget = Math.min(maxTargetLen, targetLen);
        int maxSource = Math.max(cutoffLen - newTarget, 0);
        int newSource = Math.min(maxSource, sourceLen);
        return new int[] {newSource, newTarget};
    }
}
