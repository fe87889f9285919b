package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import io.jtune.train.reward.RewardFunctions;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a form's rewards come from (ppo's reward_model, grpo's reward_funcs): a built-in reward
 * by name, a reward model's folder, or an HTTP endpoint. Each kind is confined as the web UI confines
 * everything a page names: a folder must lie under the allowed roots after following links
 * ({@link PathGuard}), and an endpoint must be on this machine's loopback interface, so a page cannot
 * make the server read other folders or send conversations to other hosts. `jtune train` with a
 * YAML file has no such limits.
 */
final class RewardSources {
    private RewardSources() {}

    /** reward_model checked for its reward_model_type (lora or full: a folder; api: a loopback URL). */
    static String rewardModel(String text, Object type, PathGuard paths) {
        if ("api".equals(type == null ? null : type.toString())) return loopbackUrl(text);
        return paths.existingDirectory(text).toString();
    }

    /** reward_funcs (a list, or a comma-separated text as the page sends it) with folders made absolute. */
    static List<String> rewardFuncs(Object value, PathGuard paths) {
        List<String> entries = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object item : list) entries.add(String.valueOf(item).trim());
        } else {
            for (String item : value.toString().split(",")) if (!item.isBlank()) entries.add(item.trim());
        }
        List<String> checked = new ArrayList<>();
        for (String entry : entries) {
            if (RewardFunctions.BUILT_IN.contains(entry)) checked.add(entry);
            else if (isUrl(entry)) checked.add(loopbackUrl(entry));
            else checked.add(paths.existingDirectory(entry).toString());
        }
        return checked;
    }

    private static boolean isUrl(String text) {
        return text.startsWith("http://") || text.startsWith("https://");
    }

    /** The URL when its host is localhost or a loopback address literal; otherwise a message for the user. */
    private static String loopbackUrl(String text) {
        String host;
        try {
            URI uri = new URI(text.trim());
            host = uri.getHost();
            if (!isUrl(text.trim()) || host == null) throw new URISyntaxException(text, "not an http(s) URL with a host");
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not an http:// or https:// URL with a host");
        }
        if (!isLoopback(host)) {
            throw new IllegalArgumentException("the web UI sends rewards requests only to this machine (localhost, 127.0.0.1, [::1]), not to "
                    + host + "; run jtune train with a YAML file for another host");
        }
        return text.trim();
    }

    private static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) return true;
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return InetAddress.ofLiteral(literal).isLoopbackAddress();   // a literal only: no name lookup
        } catch (IllegalArgumentException notALiteral) {
            return false;
        }
    }
}
