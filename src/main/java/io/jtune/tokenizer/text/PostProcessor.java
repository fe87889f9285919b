package io.jtune.tokenizer.text;

import java.util.List;

/** A tokenizer.json post-processor, for one sequence: adds the special tokens around the ids. */
public interface PostProcessor {
    int[] process(int[] ids);

    /** One element of a template: a special token's ids, or the sequence itself. */
    record Piece(int[] specialIds) {
        static final Piece SEQUENCE = new Piece(null);

        public static Piece sequence() {
            return SEQUENCE;
        }

        boolean isSequence() {
            return specialIds == null;
        }
    }

    /** HF's TemplateProcessing, "single" template, e.g. {@code <s> $A}. */
    record Template(List<Piece> single) implements PostProcessor {
        public int[] process(int[] ids) {
            int n = 0;
            for (Piece p : single) n += p.isSequence() ? ids.length : p.specialIds().length;
            int[] out = new int[n];
            int at = 0;
            for (Piece p : single) {
                int[] part = p.isSequence() ? ids : p.specialIds();
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }
    }

    /** Post-processors that leave ids alone (ByteLevel only trims offsets, which jtune does not track). */
    record Identity() implements PostProcessor {
        public int[] process(int[] ids) {
            return ids;
        }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        public int[] process(int[] ids) {
            for (PostProcessor step : steps) ids = step.process(ids);
            return ids;
        }
    }
}
