package io.jtune.train.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A learnable preference set for end-to-end tests: support questions about a device, each with a
 * helpful answer (chosen) and a dismissive one (rejected), worded from several templates. The
 * evaluation pairs ask about devices the training pairs never mention, so an accuracy on them is
 * held out. Written as alpaca-format ranking datasets (pairs_train, pairs_eval) with their
 * dataset_info.json.
 */
public final class PreferencePairs {
    public static final List<String> TRAIN_DEVICES = List.of("router", "printer", "laptop", "phone", "camera", "tablet", "monitor",
            "keyboard", "speaker", "scanner", "watch", "console", "headset", "modem", "projector", "drone");
    public static final List<String> EVAL_DEVICES = List.of("television", "microwave", "fridge", "heater", "radio", "kettle", "mouse", "charger");

    private static final List<String> QUESTIONS = List.of("How do I fix my %s?", "My %s stopped working, what should I do?",
            "Can you help me with my %s?", "Why does my %s keep turning off?");
    private static final List<String> HELPFUL = List.of(
            "Sure, I can help with your %s. First check the cable, then restart the %s and try again.",
            "Of course. Please unplug the %s, wait ten seconds, plug it back in and update its software.",
            "Happy to help: reset the %s from its settings menu, then contact support if the problem stays.");
    private static final List<String> DISMISSIVE = List.of("No idea. Figure out the %s yourself.",
            "Not my problem, buy a new %s.", "Whatever. The %s is junk anyway.");

    private PreferencePairs() {}

    /** Writes the two datasets into {@code dir}: pairsPerDevice pairs for each device of each split. */
    public static Path write(Path dir, int pairsPerDevice, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        Random random = new Random(seed);
        json.writeValue(dir.resolve("pairs_train.json").toFile(), pairs(TRAIN_DEVICES, pairsPerDevice, random));
        json.writeValue(dir.resolve("pairs_eval.json").toFile(), pairs(EVAL_DEVICES, pairsPerDevice, random));
        Map<String, Object> info = new LinkedHashMap<>();
        for (String name : List.of("pairs_train", "pairs_eval")) {
            info.put(name, Map.of("file_name", name + ".json", "ranking", true,
                    "columns", Map.of("prompt", "instruction", "chosen", "chosen", "rejected", "rejected")));
        }
        json.writeValue(dir.resolve("dataset_info.json").toFile(), info);
        return dir;
    }

    private static List<Map<String, String>> pairs(List<String> devices, int perDevice, Random random) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String device : devices) {
            for (int i = 0; i < perDevice; i++) {
                Map<String, String> row = new LinkedHashMap<>();
                row.put("instruction", pick(QUESTIONS, random).formatted(device));
                row.put("chosen", pick(HELPFUL, random).formatted(device, device));
                row.put("rejected", pick(DISMISSIVE, random).formatted(device));
                rows.add(row);
            }
        }
        return rows;
    }

    private static String pick(List<String> options, Random random) {
        return options.get(random.nextInt(options.size()));
    }
}
