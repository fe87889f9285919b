package io.jtune.cli;

import io.jtune.JtuneVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code jtune env}: the facts a bug report needs (jtune, Java, Vector API width, cores, heap, OS). */
@Command(name = "env", description = "Print jtune's environment: versions, Vector API width, cores, heap, OS.")
final class EnvCommand implements Runnable {
    @Override
    public void run() {
        for (Map.Entry<String, String> e : facts().entrySet()) {
            System.out.printf("- %-28s %s%n", e.getKey() + ":", e.getValue());
        }
    }

    static Map<String, String> facts() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("jtune version", JtuneVersion.get());
        f.put("Java version", System.getProperty("java.version"));
        f.put("Java vendor", System.getProperty("java.vendor") + " (" + System.getProperty("java.vm.name") + ")");
        f.put("Java home", System.getProperty("java.home"));
        f.put("Vector API", vectorApi());
        f.put("CPU cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        f.put("Max heap", String.format("%.1f GiB", Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024)));
        f.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")");
        return f;
    }

    private static String vectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "not available (start the JVM with --add-modules=jdk.incubator.vector)";
        }
        var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        return "preferred species " + species.vectorBitSize() + " bits (" + species.length() + " floats)";
    }
}
