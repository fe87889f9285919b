package io.jtune;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of jtune, read from the properties file Maven fills in at build time. */
public final class JtuneVersion {
    private JtuneVersion() {}

    public static String get() {
        try (InputStream in = JtuneVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
