package io.jtune.data.template.jinja;

import static io.jtune.data.template.jinja.Values.error;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on strings ({@code content.startswith('<tool_response>')},
 * {@code .split('</think>')}, {@code .strip('\n')}...) and dicts ({@code .items()}, {@code .get(k)}),
 * with Python's semantics.
 */
final class Methods {
    private Methods() {}

    static final Set<String> STRING_METHODS = Set.of(
            "startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "replace", "upper", "lower",
            "title", "capitalize", "find", "rfind", "count", "join", "splitlines", "removeprefix", "removesuffix",
            "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper");

    static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");

    /** {@code receiver.name} as a callable, or null when the receiver has no such supported method. */
    static JinjaCallable bind(Object receiver, String name) {
        if (receiver instanceof String s && STRING_METHODS.contains(name)) {
            return (args, kwargs) -> string(s, name, new Args("str." + name + "()", args, kwargs));
        }
        if (receiver instanceof Map<?, ?> m && DICT_METHODS.contains(name)) {
            return (args, kwargs) -> dict(m, name, new Args("dict." + name + "()", args, kwargs));
        }
        return null;
    }

    private static Object dict(Map<?, ?> map, String name, Args args) {
        Object result = switch (name) {
            case "items" -> {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : map.entrySet()) out.add(java.util.Arrays.asList(e.getKey(), e.getValue()));
                yield out;
            }
            case "keys" -> new ArrayList<Object>(map.keySet());
            case "values" -> new ArrayList<Object>(map.values());
            case "get" -> {
                Object key = args.required(0, "key");
                Object fallback = args.get(1, "default", null);
                yield map.containsKey(key) ? map.get(key) : fallback;
            }
            default -> throw error("dict has no method '" + name + "'");
        };
        args.done();
        return result;
    }

    private static Object string(String s, String name, Args args) {
        Object result = switch (name) {
            case "startswith", "endswith" -> {
                Object affix = args.required(0, name.equals("startswith") ? "prefix" : "suffix");
                List<?> options = affix instanceof List<?> l ? l : List.of(affix);
                boolean hit = false;
                for (Object o : options) {
                    if (!(o instanceof String a)) throw error("str." + name + "() takes a string or a tuple of strings, got " + Values.typeName(o));
                    hit |= name.equals("startswith") ? s.startsWith(a) : s.endsWith(a);
                }
                yield hit;
            }
            case "split", "rsplit" -> split(s, args.string(0, "sep", null), args.integer(1, "maxsplit", -1L), name.equals("rsplit"));
            case "strip" -> strip(s, args.string(0, "chars", null), true, true);
            case "lstrip" -> strip(s, args.string(0, "chars", null), true, false);
            case "rstrip" -> strip(s, args.string(0, "chars", null), false, true);
            case "replace" -> replace(s, (String) requireString(args.required(0, "old"), "replace"),
                    (String) requireString(args.required(1, "new"), "replace"), args.integer(2, "count", -1L));
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : new String(Character.toChars(Character.toTitleCase(s.codePointAt(0))))
                            + s.substring(Character.charCount(s.codePointAt(0))).toLowerCase(java.util.Locale.ROOT);
            case "find" -> (long) codePointIndex(s, s.indexOf((String) requireString(args.required(0, "sub"), "find")));
            case "rfind" -> (long) codePointIndex(s, s.lastIndexOf((String) requireString(args.required(0, "sub"), "rfind")));
            case "count" -> count(s, (String) requireString(args.required(0, "sub"), "count"));
            case "join" -> {
                StringBuilder out = new StringBuilder();
                List<Object> items = Values.iterate(args.required(0, "iterable"));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String part)) throw error("str.join() needs strings, item " + i + " is a " + Values.typeName(items.get(i)));
                    out.append(i == 0 ? "" : s).append(part);
                }
                yield out.toString();
            }
            case "splitlines" -> {
                List<Object> out = new ArrayList<>();
                for (String line : s.split("\r\n|\n|\r", -1)) out.add(line);
                if (!out.isEmpty() && ((String) out.getLast()).isEmpty()) out.removeLast();
                yield out;
            }
            case "removeprefix" -> {
                String p = (String) requireString(args.required(0, "prefix"), name);
                yield s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = (String) requireString(args.required(0, "suffix"), name);
                yield !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(Methods::isPythonSpace);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            default -> throw error("str has no method '" + name + "'");
        };
        args.done();
        return result;
    }

    private static Object requireString(Object v, String method) {
        if (!(v instanceof String)) throw error("str." + method + "() needs string arguments, got " + Values.typeName(v));
        return v;
    }

    private static int codePointIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    /** Python's str.isspace() characters, which str.split() and str.strip() (no argument) use. */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || c == 0x85 || c == 0xa0 || Character.isSpaceChar(c);
    }

    /** Python's str.strip/lstrip/rstrip: whitespace when {@code chars} is None, else any of its characters. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int[] cps = s.codePoints().toArray();
        int start = 0, end = cps.length;
        while (left && start < end && stripped(cps[start], chars)) start++;
        while (right && end > start && stripped(cps[end - 1], chars)) end--;
        return new String(cps, start, end - start);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? isPythonSpace(c) : chars.codePoints().anyMatch(x -> x == c);
    }

    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) count = Long.MAX_VALUE;
        StringBuilder out = new StringBuilder();
        if (old.isEmpty()) {
            int[] cps = s.codePoints().toArray();
            long done = 0;
            for (int cp : cps) {
                if (done++ < count) out.append(replacement);
                out.appendCodePoint(cp);
            }
            if (done < count) out.append(replacement);
            return out.toString();
        }
        int from = 0;
        long done = 0;
        for (int i = s.indexOf(old); i >= 0 && done < count; i = s.indexOf(old, from), done++) {
            out.append(s, from, i).append(replacement);
            from = i + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    /** Python's str.split / str.rsplit. */
    static List<Object> split(String s, String sep, long maxsplit, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            List<String> words = new ArrayList<>();
            int[] cps = s.codePoints().toArray();
            int i = 0;
            // Whitespace runs separate words; with maxsplit the rest after the last split stays whole.
            if (!fromRight) {
                while (i < cps.length) {
                    while (i < cps.length && isPythonSpace(cps[i])) i++;
                    if (i >= cps.length) break;
                    if (maxsplit >= 0 && words.size() >= maxsplit) {
                        int end = cps.length;
                        while (end > i && isPythonSpace(cps[end - 1])) end--;
                        words.add(new String(cps, i, end - i));
                        break;
                    }
                    int start = i;
                    while (i < cps.length && !isPythonSpace(cps[i])) i++;
                    words.add(new String(cps, start, i - start));
                }
                out.addAll(words);
                return out;
            }
            int j = cps.length;
            while (j > 0) {
                while (j > 0 && isPythonSpace(cps[j - 1])) j--;
                if (j <= 0) break;
                if (maxsplit >= 0 && words.size() >= maxsplit) {
                    int start = 0;
                    while (start < j && isPythonSpace(cps[start])) start++;
                    words.add(new String(cps, start, j - start));
                    break;
                }
                int end = j;
                while (j > 0 && !isPythonSpace(cps[j - 1])) j--;
                words.add(new String(cps, j, end - j));
            }
            for (int k = words.size() - 1; k >= 0; k--) out.add(words.get(k));
            return out;
        }
        if (sep.isEmpty()) throw error("str.split(): empty separator");
        List<String> parts = new ArrayList<>();
        if (!fromRight) {
            int from = 0;
            for (int i = s.indexOf(sep); i >= 0 && (maxsplit < 0 || parts.size() < maxsplit); i = s.indexOf(sep, from)) {
                parts.add(s.substring(from, i));
                from = i + sep.length();
            }
            parts.add(s.substring(from));
            out.addAll(parts);
            return out;
        }
        int end = s.length();
        for (int i = s.lastIndexOf(sep, end - sep.length()); i >= 0 && (maxsplit < 0 || parts.size() < maxsplit);
                i = end - sep.length() < 0 ? -1 : s.lastIndexOf(sep, end - sep.length())) {
            parts.add(s.substring(i + sep.length(), end));
            end = i;
        }
        parts.add(s.substring(0, end));
        for (int k = parts.size() - 1; k >= 0; k--) out.add(parts.get(k));
        return out;
    }

    /** Python's str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased. */
    static String title(String s) {
        StringBuilder out = new StringBuilder();
        boolean previousCased = false;
        for (int c : s.codePoints().toArray()) {
            boolean letter = Character.isLetter(c);
            out.appendCodePoint(letter ? (previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            previousCased = letter;
        }
        return out.toString();
    }
}
