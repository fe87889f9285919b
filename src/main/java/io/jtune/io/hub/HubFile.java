package io.jtune.io.hub;

/**
 * One file of a hub repository at a commit, as the hub's model API lists it.
 *
 * @param path   the file's path in the repository ("model-00001-of-00002.safetensors")
 * @param size   its size in bytes, or -1 when the hub did not say
 * @param sha256 the sha256 of an LFS file (the large ones), or null for small git files
 * @param blobId the git blob id; with sha256 it names the blob in the cache as the HF cache does
 */
public record HubFile(String path, long size, String sha256, String blobId) {

    /** The name of this file's blob in the cache: the LFS sha256 when there is one, else the git blob id. */
    public String etag() {
        String etag = sha256 != null ? sha256 : blobId;
        if (etag == null) return null;
        // The etag becomes a file name in the cache: accept only what the hub sends (hex digests).
        if (!etag.matches("[0-9a-fA-F]{32,64}")) {
            throw new io.jtune.JtuneException("the hub listed " + path + " with an invalid blob id '" + etag + "'");
        }
        return etag.toLowerCase(java.util.Locale.ROOT);
    }
}
