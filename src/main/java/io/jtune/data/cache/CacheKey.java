package io.jtune.data.cache;

import io.jtune.JtuneException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 over everything that decides the tokenized result: the options, the template, the
 * tokenizer and the bytes of dataset_info.json and of every data file. Equal keys mean the
 * preprocessing would produce the same examples, so its cached result can be reused.
 */
public final class CacheKey {
    private final MessageDigest digest;

    public CacheKey() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        add("jtune-data-cache-v1");
    }

    public CacheKey add(String part) {
        byte[] bytes = (part == null ? "\u0000null" : part).getBytes(StandardCharsets.UTF_8);
        digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
        return this;
    }

    /** Adds a file's name and content. */
    public CacheKey addFile(Path file) {
        add(file.getFileName().toString());
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        } catch (IOException e) {
            throw new JtuneException("Cannot read " + file + " to key the preprocessing cache: " + e.getMessage(), e);
        }
        return this;
    }

    public String hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
