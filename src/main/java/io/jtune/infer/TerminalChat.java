package io.jtune.infer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop of {@code jtune chat}, as LLaMA-Factory's {@code llamafactory-cli chat}: read a line,
 * stream the reply, keep the history; {@code clear} forgets the history, {@code exit} (or the end
 * of input) quits.
 */
public final class TerminalChat {
    private final ChatEngine engine;
    private final String system;
    private final List<ChatMessage> history = new ArrayList<>();

    /** @param system the system prompt, or null for the template's default (default_system) */
    public TerminalChat(ChatEngine engine, String system) {
        this.engine = engine;
        this.system = system;
    }

    public void run(BufferedReader in, PrintStream out) throws IOException {
        out.println("Chatting with " + engine.modelName() + ". Type `clear` to forget the history, `exit` to quit.");
        while (true) {
            out.print("\nUser: ");
            out.flush();
            String line = in.readLine();
            if (line == null) {
                out.println();
                return;
            }
            String command = line.strip();
            if (command.equals("exit")) return;
            if (command.equals("clear")) {
                history.clear();
                out.println("History has been removed.");
                continue;
            }
            if (command.isEmpty()) continue;
            history.add(ChatMessage.user(line));
            out.print("Assistant: ");
            out.flush();
            ChatResult result = engine.generate(new ChatRequest(history, system, SamplingParams.DEFAULTS, new Cancellation()), piece -> {
                out.print(piece);
                out.flush();
            });
            out.println();
            if (result.finishReason() == FinishReason.LENGTH) {
                out.println("[the reply reached max_new_tokens or the model's context]");
            }
            history.add(ChatMessage.assistant(result.text()));
        }
    }

    /** The conversation so far (user and assistant turns). */
    public List<ChatMessage> history() {
        return List.copyOf(history);
    }
}
