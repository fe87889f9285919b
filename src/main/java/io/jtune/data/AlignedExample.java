package io.jtune.data;

import java.util.List;

/**
 * One record after conversion, in LLaMA-Factory's aligned format: {@code _prompt} (2T-1 turns
 * ending with a user or observation turn), {@code _response} (one assistant turn; two for
 * preference pairs, chosen first; two for KTO where the empty one marks the tag), {@code _system}
 * and {@code _tools} (null when absent). {@code origin} says where it came from ("file:line").
 */
public record AlignedExample(List<Message> prompt, List<Message> response, String system, String tools, String origin) {
    public AlignedExample {
        prompt = List.copyOf(prompt);
        response = List.copyOf(response);
    }
}
