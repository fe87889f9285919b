package io.jtune.data.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.data.TokenizedExample;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jtune-tokenized.bin is checked like a safetensors header: stored lengths against the file, token ids against the vocabulary. */
class TokenizedStoreTest {
    @TempDir Path dir;

    private Path save() {
        Map<String, List<TokenizedExample>> splits = new LinkedHashMap<>();
        splits.put("train", List.of(
                TokenizedExample.of("input_ids", new int[] {1, 2, 3}, "labels", new int[] {-100, 2, 3}),
                TokenizedExample.of("input_ids", new int[] {4, 5}, "labels", new int[] {4, 5})));
        TokenizedStore.save(dir, "sft", splits);
        return dir.resolve(TokenizedStore.FILE_NAME);
    }

    /** Offset of the first example's first field length (after magic, version, "sft", split count, "train", count, fields, "input_ids"). */
    private static final int FIRST_LENGTH = 4 + 4 + (2 + 3) + 4 + (2 + 5) + 4 + 4 + (2 + 9);
    private static final int EXAMPLE_COUNT = 4 + 4 + (2 + 3) + 4 + (2 + 5);

    private static void putInt(Path file, int offset, int value) throws Exception {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).putInt(offset, value);
        Files.write(file, b);
    }

    private JtuneException refused(int vocab) {
        return assertThrows(JtuneException.class, () -> TokenizedStore.load(dir, vocab));
    }

    @Test
    void aGoodStoreLoadsBack() {
        save();
        var stored = TokenizedStore.load(dir, 6);
        assertEquals("sft", stored.stage());
        assertEquals(2, stored.splits().get("train").size());
    }

    @Test
    void aNegativeOrHugeLengthIsRefusedByNameBeforeAnyAllocation() throws Exception {
        Path file = save();
        assertEquals(3, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(FIRST_LENGTH), "offset of the first length");
        for (int bad : new int[] {-7, Integer.MAX_VALUE, 1_000_000}) {
            putInt(file, FIRST_LENGTH, bad);
            JtuneException e = refused(6);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("corrupt")
                    && e.getMessage().contains("length of input_ids"), e.getMessage());
        }
        save();
        putInt(file, EXAMPLE_COUNT, Integer.MAX_VALUE);
        assertTrue(refused(6).getMessage().contains("example count"), "a huge example count");
    }

    @Test
    void aTruncatedStoreIsRefused() throws Exception {
        Path file = save();
        byte[] b = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(b, b.length - 3));
        JtuneException e = refused(6);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        Files.write(file, new byte[] {1, 2});
        assertTrue(refused(6).getMessage().contains("not a jtune tokenized dataset"));
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedWhenLoading() {
        Path file = save();
        JtuneException e = refused(5); // id 5 in the second example
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("token id 5")
                && e.getMessage().contains("[0, 5)"), e.getMessage());
        assertEquals(2, TokenizedStore.load(dir, 6).splits().get("train").size(), "-100 labels are allowed");
    }
}
