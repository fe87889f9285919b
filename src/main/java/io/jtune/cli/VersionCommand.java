package io.jtune.cli;

import io.jtune.JtuneVersion;
import picocli.CommandLine.Command;

/** {@code jtune version}: prints jtune's version. */
@Command(name = "version", description = "Print jtune's version.")
final class VersionCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("jtune " + JtuneVersion.get());
    }
}
