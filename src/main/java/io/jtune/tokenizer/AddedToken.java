package io.jtune.tokenizer;

/**
 * A token matched in the text before any splitting (tokenizer.json's added_tokens).
 *
 * @param lstrip     the match swallows whitespace on its left
 * @param rstrip     the match swallows whitespace on its right
 * @param singleWord the match counts only when it is not part of a longer word
 * @param normalized the token is matched in the normalized text rather than the raw text
 * @param special    a special token: left out by decode with skip_special_tokens
 */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {}
