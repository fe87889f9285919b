package io.jtune.config;

/** Levenshtein distance, for "did you mean" suggestions. */
final class EditDistance {
    private EditDistance() {}

    /** Insertions, deletions and substitutions needed to turn a into b (two-row dynamic programme). */
    static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /** The choice closest to a wrong value, or null when none is close. */
    static String closestChoice(String value, Iterable<String> choices) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : choices) {
            int d = levenshtein(value.toLowerCase(java.util.Locale.ROOT), c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, value.length() / 3) ? best : null;
    }
}
