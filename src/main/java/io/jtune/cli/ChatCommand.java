package io.jtune.cli;

import io.jtune.config.JtuneConfig;
import io.jtune.infer.ChatModel;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.TerminalChat;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jtune chat CONFIG [key=value ...]}: LLaMA-Factory's {@code llamafactory-cli chat}. */
@Command(name = "chat", description = {"Chat with a model in the terminal.",
        "Keys: model_name_or_path, adapter_name_or_path, template, and generation keys such as temperature, top_p, max_new_tokens.",
        "Type `clear` to forget the history, `exit` to quit."})
final class ChatCommand implements Callable<Integer> {
    @Mixin ConfigFileArgs args;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt (default: default_system, else the template's)")
    String system;

    private final InputStream in;
    private final PrintStream out;

    ChatCommand() {
        this(System.in, System.out);
    }

    ChatCommand(InputStream in, PrintStream out) {
        this.in = in;
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        JtuneConfig cfg = args.load();
        for (String w : cfg.warnings()) out.println("warning: " + w);
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(cfg))) {
            new TerminalChat(engine, system).run(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out);
        }
        return 0;
    }
}
