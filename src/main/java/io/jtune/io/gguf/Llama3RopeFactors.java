package io.jtune.io.gguf;

import io.jtune.nn.RopeConfig;
import io.jtune.model.arch.ModelConfig;

/**
 * The rope_freqs tensor llama.cpp's converter generates for rope_scaling type "llama3": one factor
 * per rotary frequency pair, by which llama.cpp divides that frequency. Computed in fp32 as the
 * converter does with torch float32 tensors.
 */
final class Llama3RopeFactors {
    private Llama3RopeFactors() {}

    static float[] compute(ModelConfig c) {
        RopeConfig rope = c.rope();
        int dim = c.headDim();
        float factor = (float) rope.factor();
        float lowFreqFactor = (float) rope.lowFreqFactor();
        float highFreqFactor = (float) rope.highFreqFactor();
        int oldContextLen = rope.originalMaxPositionEmbeddings();
        double lowFreqWavelen = (double) oldContextLen / rope.lowFreqFactor();
        double highFreqWavelen = (double) oldContextLen / rope.highFreqFactor();
        float[] factors = new float[dim / 2];
        for (int k = 0; k < dim / 2; k++) {
            float freq = 1.0f / (float) Math.pow((float) rope.theta(), (float) (2 * k) / dim);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highFreqWavelen) {
                factors[k] = 1f;
            } else if (wavelen > lowFreqWavelen) {
                factors[k] = factor;
            } else {
                float smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[k] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return factors;
    }
}
