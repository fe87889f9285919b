package io.jtune.train.checkpoint;

import io.jtune.util.AtomicFiles;
import io.jtune.util.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoint-N folders of an output directory, as HF Trainer names them.
 *
 * <p>A checkpoint is written into a hidden partial folder and renamed to checkpoint-N only once every
 * file in it is complete and on disk. A rename within one folder is atomic, so a checkpoint-N folder
 * is always whole: a run killed mid-save leaves only a partial folder, which is ignored and removed
 * at the next start, and the previous checkpoint remains the one to resume from.
 */
public final class CheckpointDirectory {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final String PARTIAL_PREFIX = ".partial-checkpoint-";

    private final Path outputDir;

    public CheckpointDirectory(Path outputDir) {
        this.outputDir = outputDir;
    }

    @FunctionalInterface
    public interface Contents {
        /** Writes the checkpoint's files into {@code dir}; each must be complete when this returns. */
        void writeTo(Path dir) throws IOException;
    }

    /** Writes checkpoint-{step} atomically and returns its folder. */
    public Path save(long step, Contents contents) throws IOException {
        Files.createDirectories(outputDir);
        Path partial = outputDir.resolve(PARTIAL_PREFIX + step + "-" + ProcessHandle.current().pid());
        deleteTree(partial);
        Files.createDirectories(partial);
        try {
            contents.writeTo(partial);
        } catch (IOException | RuntimeException e) {
            // a full disk, say: drop the half-written folder; the previous checkpoint stays as it was
            try {
                deleteTree(partial);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) throw saveFailed(step, partial, io);
            throw e;
        }
        AtomicFiles.syncDirectory(partial);
        haltIfAskedTo(step);
        Path target = outputDir.resolve("checkpoint-" + step);
        if (Files.exists(target)) {
            // Saving a step again (after a resume): move the old one aside first, then drop it.
            Path old = outputDir.resolve(PARTIAL_PREFIX + step + "-old-" + ProcessHandle.current().pid());
            Files.move(target, old);
            Files.move(partial, target);
            deleteTree(old);
        } else {
            Files.move(partial, target);
        }
        AtomicFiles.syncDirectory(outputDir);
        return target;
    }

    /** Names the checkpoint and the file in it that could not be written, not the hidden partial folder. */
    private IOException saveFailed(long step, Path partial, IOException e) {
        String what = e instanceof IoErrors.WriteFailed w && w.getFile() != null && e.getCause() instanceof IOException cause
                ? Path.of(w.getFile()).getFileName() + ": " + IoErrors.reason(cause)
                : IoErrors.describe(e).replace(partial.toString(), "checkpoint-" + step);
        String kept;
        try {
            kept = latest().map(p -> "; " + p.getFileName() + " is kept as it was").orElse("");
        } catch (IOException | RuntimeException ignored) {
            kept = "";
        }
        return new IOException("cannot save " + outputDir.resolve("checkpoint-" + step) + ": " + what + kept, e);
    }

    /**
     * Fault injection for the crash test: with -Djtune.test.haltBeforeCheckpointRename=N the JVM halts
     * (like kill -9) after checkpoint N's files are written but before the folder is renamed.
     */
    private static void haltIfAskedTo(long step) {
        String at = System.getProperty("jtune.test.haltBeforeCheckpointRename");
        if (at != null && at.equals(Long.toString(step))) Runtime.getRuntime().halt(137);
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(CheckpointDirectory::stepOf))
                    .toList();
        }
    }

    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /** Deletes the oldest checkpoints so that at most {@code limit} remain (limit <= 0 keeps all). */
    public void prune(int limit) throws IOException {
        prune(limit, null);
    }

    /**
     * As {@link #prune(int)}, counting {@code best} (the best model's checkpoint, may be null) as the
     * newest but one, as the HF Trainer's rotation does: it survives any limit of 2 or more.
     */
    public void prune(int limit, Path best) throws IOException {
        if (limit <= 0) return;
        List<Path> all = new java.util.ArrayList<>(list());
        int at = -1;
        for (int i = 0; best != null && i < all.size(); i++) {
            if (all.get(i).getFileName().equals(best.getFileName())) at = i;
        }
        if (at >= 0 && at < all.size() - 2) {
            Path kept = all.remove(at);
            all.add(all.size() - 1, kept);
        }
        for (int i = 0; i < all.size() - limit; i++) deleteTree(all.get(i));
    }

    /** Removes what interrupted saves left behind. */
    public void removePartials() throws IOException {
        if (!Files.isDirectory(outputDir)) return;
        try (Stream<Path> s = Files.list(outputDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(PARTIAL_PREFIX)).toList()) deleteTree(p);
        }
    }

    public static long stepOf(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException("not a checkpoint folder: " + checkpoint);
        return Long.parseLong(m.group(1));
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
