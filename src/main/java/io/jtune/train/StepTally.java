package io.jtune.train;

import io.jtune.JtuneException;
import io.jtune.train.objective.Metric;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one micro-batch contributed to a step besides its gradients: its loss sum, tokens, examples
 * and the objective's metrics. The workers of a data-parallel run exchange these per micro-batch
 * (not per worker), so that every worker adds them up in the global order of the micro-batches,
 * exactly as one machine does.
 */
record StepTally(double lossSum, long tokens, long examples, Map<String, Metric> metrics) {

    /** Every worker's tallies joined in rank order: the micro-batches of the step in their global order. */
    static List<StepTally> gather(DataParallel group, List<StepTally> mine) {
        List<StepTally> all = new ArrayList<>();
        for (byte[] part : group.allGather(encode(mine))) all.addAll(decode(part));
        return all;
    }

    /** Every worker's numbers joined in rank order (the micro-batches' normalisers, before the passes). */
    static double[] gatherNumbers(DataParallel group, double[] mine) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(mine.length);
            for (double d : mine) out.writeDouble(d);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory: cannot happen
        }
        List<Double> all = new ArrayList<>();
        for (byte[] part : group.allGather(bytes.toByteArray())) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(part))) {
                for (int i = in.readInt(); i > 0; i--) all.add(in.readDouble());
            } catch (IOException e) {
                throw new JtuneException("a worker sent a malformed step exchange: " + e.getMessage(), e);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static byte[] encode(List<StepTally> tallies) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(tallies.size());
            for (StepTally t : tallies) {
                out.writeDouble(t.lossSum);
                out.writeLong(t.tokens);
                out.writeLong(t.examples);
                out.writeInt(t.metrics.size());
                for (Map.Entry<String, Metric> m : new TreeMap<>(t.metrics).entrySet()) {
                    out.writeUTF(m.getKey());
                    out.writeDouble(m.getValue().sum());
                    out.writeDouble(m.getValue().count());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    private static List<StepTally> decode(byte[] part) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(part))) {
            List<StepTally> out = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                double loss = in.readDouble();
                long tokens = in.readLong(), examples = in.readLong();
                Map<String, Metric> metrics = new TreeMap<>();
                for (int k = in.readInt(); k > 0; k--) metrics.put(in.readUTF(), Metric.of(in.readDouble(), in.readDouble()));
                out.add(new StepTally(loss, tokens, examples, metrics));
            }
            return out;
        } catch (IOException e) {
            throw new JtuneException("a worker sent a malformed step exchange: " + e.getMessage(), e);
        }
    }
}
