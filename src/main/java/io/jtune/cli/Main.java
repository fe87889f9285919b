package io.jtune.cli;

import io.jtune.JtuneVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code jtune} command: registers the subcommands and maps errors to exit codes. */
@Command(
        name = "jtune",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fine-tune open LLMs (Llama, Qwen, Mistral) on the JVM, the LLaMA-Factory way.",
        subcommands = {
            VersionCommand.class,
            EnvCommand.class,
            DownloadCommand.class,
            ConfigCommand.class,
            TrainCommand.class,
            QuickstartCommand.class,
            ChatCommand.class,
            ApiCommand.class,
            BenchCommand.class,
            ExportCommand.class,
            WebUiCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(newCommandLine(), args, System.err));
    }

    /**
     * Runs the command line; an out-of-memory error (picocli hands errors through, only exceptions reach
     * {@link UserErrorHandler}) becomes one line saying what to change, with exit 1, not a stack trace.
     */
    static int execute(CommandLine cl, String[] args, java.io.PrintStream err) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println(outOfMemoryMessage(Runtime.getRuntime().maxMemory()));
            return 1;
        }
    }

    static String outOfMemoryMessage(long maxHeapBytes) {
        return String.format(java.util.Locale.ROOT, "error: out of memory: the Java heap (at most %.1f GiB) is full. Lower"
                + " per_device_train_batch_size or cutoff_len, keep gradient checkpointing on, or use quantization_bit: 4;"
                + " or give jtune a larger heap, e.g. JTUNE_JAVA_OPTS=-Xmx16g", maxHeapBytes / (double) (1L << 30));
    }

    /** Builds the command line with jtune's error handling: user errors print one line, no stack trace. */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        addHelpOptions(cl);
        return cl;
    }

    /**
     * Every command and subcommand answers -h/--help (and -V/--version) before its parameters are
     * checked, so `jtune train --help` prints the usage instead of "Missing required parameter".
     */
    private static void addHelpOptions(CommandLine cl) {
        for (CommandLine sub : new java.util.LinkedHashSet<>(cl.getSubcommands().values())) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (!spec.optionsMap().containsKey("--help")) {
                spec.mixinStandardHelpOptions(true);
                spec.versionProvider(new Version());
            }
            addHelpOptions(sub);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jtune " + JtuneVersion.get()};
        }
    }
}
