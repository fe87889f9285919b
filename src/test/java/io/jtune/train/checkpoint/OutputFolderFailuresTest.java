package io.jtune.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.cli.Main;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.util.AtomicFiles;
import io.jtune.util.IoErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Output folders that cannot take what training writes: one error line naming the file, exit 1, nothing half-written. */
@Timeout(300)
class OutputFolderFailuresTest {
    @TempDir static Path shared;
    static Path model;
    static final Path DATA = Path.of("data").toAbsolutePath();

    @BeforeAll
    static void makeModel() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(200), 400,
                new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
    }

    static Path config(Path dir, Path out) throws IOException {
        Path yaml = dir.resolve("sft.yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model, "stage: sft", "do_train: true", "finetuning_type: lora",
                "dataset: support_shop", "dataset_dir: " + DATA, "template: chatml", "cutoff_len: 64",
                "max_samples: 8", "output_dir: " + out, "overwrite_output_dir: true",
                "per_device_train_batch_size: 2", "max_steps: 4", "logging_steps: 1", "save_steps: 2", ""));
        return yaml;
    }

    private record Run(int exit, String err) {}

    private static Run train(Path yaml) {
        CommandLine cl = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter()));
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            return new Run(cl.execute("train", yaml.toString()), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    private static void assertOneErrorLine(Run r, String... mentions) {
        assertEquals(1, r.exit(), r.err());
        String text = r.err().strip();
        assertTrue(text.startsWith("error: "), text);
        assertFalse(text.contains("\n"), "one line, no stack trace: " + text);
        for (String m : mentions) assertTrue(text.contains(m), "mentions " + m + ": " + text);
    }

    @Test
    void anOutputDirThatIsAFileIsRefusedBeforeAnythingLoads(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        Files.writeString(out, "not a folder");
        Run r = train(config(tmp, out));
        assertOneErrorLine(r, "output_dir", out.toString(), "is a file");
        assertEquals("not a folder", Files.readString(out));
    }

    @Test
    void anOutputDirThatCannotBeCreatedIsRefused(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("plain-file");
        Files.writeString(file, "x");
        Path out = file.resolve("out");
        assertOneErrorLine(train(config(tmp, out)), "output_dir", file.toString());
    }

    @Test
    void anUnwritableOutputDirIsRefused(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("read-only");
        Files.createDirectories(out);
        out.toFile().setWritable(false, false);
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(out), "root writes into read-only folders");
            assertOneErrorLine(train(config(tmp, out)), "output_dir", out.toString(), "not writable");
        } finally {
            out.toFile().setWritable(true, false);
        }
    }

    /** Even root cannot make folders in sysfs: an unwritable place wherever the tests run as root (Linux). */
    @Test
    void anOutputDirOnAFileSystemThatRefusesWritesIsRefused(@TempDir Path tmp) throws IOException {
        Path sys = Path.of("/sys");
        Path out = sys.resolve("jtune-test-output-" + ProcessHandle.current().pid());
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(sys) && !Files.exists(out), "a Linux /sys");
        Run r = train(config(tmp, out));
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(out), "this /sys took a folder");
        assertOneErrorLine(r, "output_dir", out.toString(), "not writable");
    }

    @Test
    void aFailedAtomicWriteNamesTheFileAndLeavesTheOldOneAndNoTemporaryFile(@TempDir Path tmp) throws IOException {
        Path target = tmp.resolve("state.json");
        AtomicFiles.writeString(target, "old");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("new, half".getBytes());
            throw new IOException("No space left on device");
        }));
        assertEquals("cannot write " + target + ": No space left on device", IoErrors.describe(e));
        assertEquals("old", Files.readString(target));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void theCheckLeavesNoFoldersBehind(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("a/b/out");
        OutputDirCheck.requireWritable(out);
        assertFalse(Files.exists(tmp.resolve("a")), "the probe's folders are removed");
        Files.createDirectories(out);
        OutputDirCheck.requireWritable(out);
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(0, files.count(), "an existing output_dir stays, empty");
        }
    }

    @Test
    void anAtomicWriteUnderAFileSaysTheFileIsNotAFolder(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("out"), "x");
        Path target = file.resolve("sub/results.json");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "{}"));
        assertEquals("cannot write " + target + ": " + file + " is a file, not a folder", IoErrors.describe(e));
    }

    /** A real full disk: trainer_log.jsonl is a link to /dev/full, where every write fails with ENOSPC (Linux). */
    @Test
    void aFullDiskUnderTheTrainingLogIsOneLineNamingIt(@TempDir Path tmp) throws IOException {
        Path full = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(full) && Files.isWritable(full), "/dev/full");
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path log = Files.createSymbolicLink(out.resolve("trainer_log.jsonl"), full);
        Path yaml = config(tmp, out);
        Files.writeString(yaml, Files.readString(yaml).replace("overwrite_output_dir: true", "overwrite_output_dir: false"));
        Run r = train(yaml);
        assertOneErrorLine(r, "cannot write " + log + ": No space left on device");
    }

    /** A disk that fills up while checkpoint-4's optimizer state is written (the second such write). */
    @Test
    void aFullDiskWhileSavingACheckpointIsOneLineAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Path yaml = config(tmp, out);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-Djtune.test.failWrite=optimizer.safetensors#2",
                "-cp", System.getProperty("java.class.path"), "io.jtune.cli.Main", "train", yaml.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(tmp.resolve("err.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(tmp.resolve("err.log"));
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING")).filter(l -> !l.isBlank()).toList();
        assertEquals(1, p.exitValue(), err);
        assertEquals(1, lines.size(), err);
        assertEquals("error: cannot save " + out.resolve("checkpoint-4") + ": optimizer.safetensors: No space left on device;"
                + " checkpoint-2 is kept as it was", lines.getFirst());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")));
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("checkpoint-2/optimizer.safetensors"))) {
            assertFalse(st.names().isEmpty());
        }
        try (Stream<Path> files = Files.list(out)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertFalse(names.contains("checkpoint-4"), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.startsWith(".partial")), "no half-written checkpoint: " + names);
        }
    }
}
