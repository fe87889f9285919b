package io.jtune.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.cli.Main;
import io.jtune.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What README.md and docs/*.md tell a user to type works: every examples/… path they mention exists,
 * and every jtune command they show (in a code block, or as inline code starting with jtune or
 * ./jtune) names a subcommand jtune has, parses with its options, and the config files it names
 * exist and load with its key=value overrides. Placeholders (CONFIG, REPO_ID, [key=value ...]) are
 * parsed but name no file.
 */
class DocumentedCommandsTest {
    static final Pattern EXAMPLE_PATH = Pattern.compile("examples/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]|examples/");
    static final Pattern INLINE_CODE = Pattern.compile("`([^`]+)`");
    static final Pattern ENV = Pattern.compile("^(?:[A-Z_][A-Z0-9_]*=\\S*\\s+)+");

    /** @param inline inline code in prose: it may name a command without its required arguments ("`jtune train`") */
    record Command(Path doc, int line, String text, boolean inline) {
        @Override public String toString() { return doc + ":" + line + ": " + text; }
    }

    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            docs.addAll(s.filter(p -> p.toString().endsWith(".md")).sorted().toList());
        }
        return docs;
    }

    @Test
    void everyDocumentedExamplePathExists() throws IOException {
        List<String> missing = new ArrayList<>();
        int seen = 0;
        for (Path doc : documents()) {
            List<String> lines = Files.readAllLines(doc);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = EXAMPLE_PATH.matcher(lines.get(i));
                while (m.find()) {
                    seen++;
                    if (!Files.exists(Path.of(m.group()))) missing.add(doc + ":" + (i + 1) + ": " + m.group());
                }
            }
        }
        assertTrue(seen >= 10, "example paths found: " + seen);
        assertEquals(List.of(), missing, "documented example paths that do not exist");
    }

    @Test
    void everyDocumentedCommandParsesAndItsConfigsLoad() throws IOException {
        List<Command> commands = new ArrayList<>();
        for (Path doc : documents()) commands.addAll(commands(doc));
        assertTrue(commands.size() >= 20, "commands found: " + commands);
        List<String> problems = new ArrayList<>();
        for (Command c : commands) {
            String problem = check(c);
            if (problem != null) problems.add(c + "\n    " + problem);
        }
        assertEquals("", String.join("\n", problems), "documented commands that do not work");
    }

    /**
     * No paragraph says that a command jtune has is still to come (a stale status box): "arrives
     * with …", "until then …" beside `jtune X`. (A feature of a command may well be not implemented yet.)
     */
    @Test
    void noDocumentSaysAnExistingCommandIsStillToCome() throws IOException {
        var subcommands = Main.newCommandLine().getSubcommands().keySet();
        Pattern toCome = Pattern.compile("(?i)\\barrives? (with|later|soon)\\b|\\buntil then\\b");
        List<String> stale = new ArrayList<>();
        for (Path doc : documents()) {
            String[] paragraphs = Files.readString(doc).split("\\n\\s*\\n");
            for (String paragraph : paragraphs) {
                String flat = paragraph.replaceAll("\\s*\\n>?\\s*", " ");
                if (!toCome.matcher(flat).find()) continue;
                for (String sub : subcommands) {
                    if (flat.contains("`jtune " + sub + " ") || flat.contains("`jtune " + sub + "`")) stale.add(doc + ": " + flat);
                }
            }
        }
        assertEquals(List.of(), stale, "paragraphs that call an existing command future work");
    }

    /** The commands of one document: lines of fenced code blocks, and inline code, that run jtune. */
    static List<Command> commands(Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        List<Command> out = new ArrayList<>();
        boolean fenced = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                int first = i;
                StringBuilder joined = new StringBuilder();
                while (line.endsWith("\\") && i + 1 < lines.size()) { // a command continued over lines
                    joined.append(line, 0, line.length() - 1).append(' ');
                    line = lines.get(++i);
                }
                joined.append(line);
                for (String piece : joined.toString().split("&&|\\|\\||;|\\s\\|\\s")) {
                    String command = jtuneCommand(piece);
                    if (command != null) out.add(new Command(doc, first + 1, command, false));
                }
            } else {
                Matcher m = INLINE_CODE.matcher(line);
                while (m.find()) {
                    // in a table, "a\\|b" is the text a|b: alternatives, each a command
                    String code = m.group(1).replace("\\|", "|");
                    String command = jtuneCommand(code);
                    if (command == null) continue;
                    for (String variant : alternatives(command)) out.add(new Command(doc, i + 1, variant, true));
                }
            }
        }
        return out;
    }

    /** The arguments after jtune when the text runs it ("$ ", environment assignments and a trailing comment aside), else null. */
    static String jtuneCommand(String text) {
        String s = text.strip();
        if (s.startsWith("$ ")) s = s.substring(2).strip();
        s = ENV.matcher(s).replaceFirst("");
        if (!s.startsWith("jtune ") && !s.startsWith("./jtune ")) return null;
        int comment = s.indexOf(" #");
        if (comment >= 0) s = s.substring(0, comment);
        return s.substring(s.indexOf("jtune ") + 6).strip();
    }

    /** Null when the command works as far as can be checked without running it, else what is wrong. */
    static String check(Command c) {
        List<String> args = new ArrayList<>();
        for (String token : shellWords(c.text())) {
            if (token.equals("...") || token.equals("…") || token.startsWith("[") || token.endsWith("]")) continue; // usage syntax
            args.add(token);
        }
        if (args.isEmpty()) return "no subcommand";
        CommandLine cl = Main.newCommandLine();
        if (!args.get(0).startsWith("-") && !cl.getSubcommands().containsKey(args.get(0))) {
            return "jtune has no subcommand '" + args.get(0) + "' (it has " + cl.getSubcommands().keySet() + ")";
        }
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.MissingParameterException e) {
            if (!c.inline()) return "does not parse: " + e.getMessage();
        } catch (CommandLine.ParameterException e) {
            return "does not parse: " + e.getMessage();
        }
        List<String> overrides = args.stream().filter(a -> a.matches("[a-z_][a-z0-9_.]*=.*")).toList();
        for (String a : args.subList(1, args.size())) {
            if (!a.matches(".*\\.(ya?ml|json)") || a.contains("=")) continue;
            Path file = Path.of(a);
            if (isPlaceholder(a)) continue;
            if (!Files.isRegularFile(file)) return a + " does not exist";
            try {
                ConfigLoader.load(file, overrides);
            } catch (RuntimeException e) {
                return a + " does not load: " + e.getMessage();
            }
        }
        return null;
    }

    /** "bench gemm|step|decode" as its three commands; a command without alternatives as itself. */
    static List<String> alternatives(String command) {
        List<String> words = shellWords(command);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.contains("|") && !w.contains("=")) {
                List<String> out = new ArrayList<>();
                for (String alt : w.split("\\|")) {
                    List<String> variant = new ArrayList<>(words);
                    variant.set(i, alt);
                    out.add(String.join(" ", variant));
                }
                return out;
            }
        }
        return List.of(command);
    }

    /** A file name standing for the reader's own file: in capitals (CONFIG.yaml) or a bare name like my.yaml or predict.yaml. */
    static boolean isPlaceholder(String name) {
        return !name.contains("/");
    }

    /** Words as a POSIX shell splits them, with single and double quotes. */
    static List<String> shellWords(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char ch : s.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) quote = 0;
                else w.append(ch);
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (inWord) words.add(w.toString());
        return words;
    }
}
