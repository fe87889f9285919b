/**
 * The safetensors format: reading without copying, writing as Hugging Face does.
 *
 * <ul>
 *   <li>{@link io.jtune.io.safetensors.SafetensorsCheckpoint#open} a model directory, a .safetensors
 *       file or a model.safetensors.index.json: one name -> {@link io.jtune.io.safetensors.StoredTensor}
 *       view over all shards, memory-mapped (a tensor is a slice of the mapping; {@code matrix()} gives
 *       a {@link io.jtune.tensor.Matrix} over it).</li>
 *   <li>{@link io.jtune.io.safetensors.SafetensorsWriter#writeCheckpoint} writes
 *       {@link io.jtune.io.safetensors.TensorToWrite}s as model.safetensors or HF-named shards plus the
 *       index; {@link io.jtune.io.safetensors.SafetensorsWriter#writeFile} writes one file.</li>
 *   <li>Every defect in a file is a {@link io.jtune.io.safetensors.SafetensorsException} naming the file
 *       and the tensor.</li>
 * </ul>
 */
package io.jtune.io.safetensors;
