package io.jtune.infer;

import java.util.List;

/**
 * Holds back streamed text while it could still turn into one of the stop strings, so that a stop
 * string (and whatever follows it) is never sent. Feed decoded pieces in; get back what is safe.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).distinct().toList();
    }

    /** Adds a piece; returns the text that can no longer become part of a stop string. */
    String accept(String piece) {
        if (matched) return "";
        pending.append(piece);
        int first = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0) {
            matched = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int hold = longestSuffixThatStartsAStop();
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Whether a stop string appeared: the reply ends there. */
    boolean matched() {
        return matched;
    }

    /** The text held back at the end of the reply (it never became a stop string). */
    String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        int best = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, pending.length()); len > best; len--) {
                if (pending.substring(pending.length() - len).equals(stop.substring(0, len))) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
