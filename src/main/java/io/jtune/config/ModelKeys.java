package io.jtune.config;

/** LLaMA-Factory's ModelArguments (hparams/model_args.py): model, tokenizer, quantization, multimodal, engines. */
final class ModelKeys extends KeyTable {
    ModelKeys() {
        super(Group.MODEL);
        str("model_name_or_path", null, "Path to the Hugging Face model directory (config.json, safetensors, tokenizer files) to fine-tune or run.");
        list("adapter_name_or_path", null, "Path(s) to PEFT LoRA adapters to load before training or inference; commas separate several.");
        list("lora_modules", null, "Adapters served side by side over one base by jtune api, as NAME=PATH (vLLM's --lora-modules); commas "
                + "separate several. A request's model field picks one by NAME, or the base model by its own id.").jtuneOnly();
        str("adapter_folder", null, "A folder holding several adapters to load.").unsupported("loading adapters from a folder of adapters is not implemented; list them in adapter_name_or_path");
        str("cache_dir", null, "Where downloaded models are cached.").ignored("jtune reads the local model_name_or_path directly; nothing is downloaded during training");
        bool("use_fast_tokenizer", true, "Use the fast (tokenizers library) tokenizer.")
                .unsupported("jtune has one tokenizer, which reads tokenizer.json and gives the fast tokenizer's ids; a slow tokenizer can give other ids");
        bool("resize_vocab", false, "Resize the tokenizer vocabulary and the embedding layers.").unsupported("resizing the vocabulary and embeddings is not implemented");
        bool("split_special_tokens", false, "Split special tokens during tokenization.").unsupported("tokenizing special tokens as plain text is not implemented");
        list("add_tokens", null, "Non-special tokens to add to the tokenizer; commas separate several.").unsupported("adding tokens (and resizing the embeddings) is not implemented");
        list("add_special_tokens", null, "Special tokens to add to the tokenizer; commas separate several.").unsupported("adding tokens (and resizing the embeddings) is not implemented");
        str("new_special_tokens_config", null, "YAML file describing new special tokens for semantic initialisation.").unsupported("adding tokens (and resizing the embeddings) is not implemented");
        choice("init_special_tokens", "noise_init", "How new special tokens are initialised.", "noise_init", "desc_init", "desc_init_w_noise")
                .ignored("only used when tokens are added, which jtune refuses (add_special_tokens)");
        str("model_revision", "main", "Model version (branch, tag or commit) to download.").ignored("jtune reads the local model_name_or_path as it is; revisions apply to downloads");
        bool("low_cpu_mem_usage", true, "Memory-efficient model loading.").ignored("jtune always memory-maps the checkpoint instead of copying it");
        choice("rope_scaling", null, "RoPE scaling to apply on top of the model's config.", "linear", "dynamic", "yarn", "llama3")
                .unsupported("overriding RoPE scaling is not implemented; the scaling in the model's config.json is honoured");
        choice("flash_attn", "auto", "Attention implementation: auto, disabled (eager), sdpa, fa2, fa3.", "auto", "disabled", "sdpa", "fa2", "fa3")
                .ignored("every choice computes the same exact attention; jtune always uses its own tiled (flash-style) kernel");
        bool("shift_attn", false, "Shift short attention (S^2-Attn) from LongLoRA.").unsupported("S^2-Attn changes the attention pattern and is not implemented");
        choice("mixture_of_depths", null, "Convert to or load a mixture-of-depths model.", "convert", "load").unsupported("mixture-of-depths models are not implemented");
        bool("use_unsloth", false, "Use unsloth's optimised LoRA training.").ignored(SPEED_ONLY);
        bool("use_unsloth_gc", false, "Use unsloth's gradient checkpointing.").ignored(SPEED_ONLY);
        bool("enable_liger_kernel", false, "Use Liger's fused kernels.").ignored(SPEED_ONLY);
        real("moe_aux_loss_coef", null, "Coefficient of the router auxiliary loss of mixture-of-experts models (mixtral, qwen2_moe,"
                + " qwen3_moe): coef x load-balancing loss over all sparse layers is added to each training micro-batch's loss.");
        bool("disable_gradient_checkpointing", false, "Disable gradient checkpointing (LLaMA-Factory enables it by default when training).");
        bool("use_reentrant_gc", true, "Use PyTorch's reentrant gradient checkpointing.").ignored("a PyTorch implementation detail; jtune's recomputation gives the same gradients");
        bool("upcast_layernorm", false, "Upcast the layer-norm weights to fp32.").ignored("jtune computes norms in fp32 always");
        bool("upcast_lmhead_output", false, "Upcast the lm_head output to fp32.").ignored("jtune computes logits and the loss in fp32 always");
        bool("train_from_scratch", false, "Initialise the model weights randomly.").unsupported("training from random weights is not implemented");
        choice("infer_backend", "huggingface", "Inference engine for chat, api and predict.", "huggingface", "vllm", "sglang")
                .unsupportedValues("vLLM and SGLang are Python GPU engines; jtune uses its own engine (huggingface)", "vllm", "sglang");
        str("offload_folder", "offload", "Where to offload model weights.").ignored("jtune memory-maps weights and never offloads them");
        bool("use_kv_cache", true, "Use a KV cache in generation.").ignored("jtune's generation always uses a KV cache; the tokens generated are the same");
        bool("use_v1_kernels", false, "Use LLaMA-Factory's v1 high-performance kernels.").ignored(SPEED_ONLY);
        choice("infer_dtype", "auto", "Data type of weights and activations at inference.", "auto", "float16", "bfloat16", "float32")
                .unsupportedValues("jtune infers with weights in their stored dtype and fp32 math (auto)", "float16", "bfloat16", "float32");
        str("hf_hub_token", null, "Token for the Hugging Face Hub.").ignored(HUB);
        str("ms_hub_token", null, "Token for the ModelScope Hub.").ignored(HUB);
        str("om_hub_token", null, "Token for the Modelers Hub.").ignored(HUB);
        bool("print_param_status", false, "Print every parameter's dtype and trainability (debugging).").ignored("a debugging printout only");
        bool("trust_remote_code", false, "Allow Python code shipped with a model or dataset to run.")
                .ignored("jtune never runs code from a model directory; its architectures are built in");

        // Quantization (QuantizationArguments)
        choice("quantization_method", "bnb", "On-the-fly quantization method (bitsandbytes' formats).", "bnb", "gptq", "awq", "aqlm", "quanto", "eetq", "hqq", "mxfp4", "fp8")
                .unsupportedValues("jtune quantizes on the fly with bitsandbytes' formats only (bnb)", "gptq", "awq", "aqlm", "quanto", "eetq", "hqq", "mxfp4", "fp8");
        integer("quantization_bit", null, "Bits of on-the-fly quantization of the base model's decoder linear weights: 4 (QLoRA, quantization_type) or 8 (weight-only, per output row). Training needs finetuning_type lora; chat, api and predict accept it too.");
        choice("quantization_type", "nf4", "bitsandbytes 4-bit data type (with quantization_bit 4).", "fp4", "nf4");
        bool("double_quantization", true, "bitsandbytes double quantization of the 4-bit block absmax (with quantization_bit 4).");
        choice("quantization_device_map", null, "Device map of a quantized model at inference.", "auto").ignored("jtune runs on the CPU; there is no device to map");

        // Multimodal processors (ProcessorArguments)
        integer("image_max_pixels", 768 * 768, "Maximum pixels of an image input.").ignored(TEXT_ONLY);
        integer("image_min_pixels", 32 * 32, "Minimum pixels of an image input.").ignored(TEXT_ONLY);
        bool("image_do_pan_and_scan", false, "Pan and scan images (gemma3).").ignored(TEXT_ONLY);
        bool("crop_to_patches", false, "Crop images to patches (internvl).").ignored(TEXT_ONLY);
        integer("video_max_pixels", 256 * 256, "Maximum pixels of a video frame.").ignored(TEXT_ONLY);
        integer("video_min_pixels", 16 * 16, "Minimum pixels of a video frame.").ignored(TEXT_ONLY);
        real("video_fps", 2.0, "Frames sampled per second of video.").ignored(TEXT_ONLY);
        integer("video_maxlen", 128, "Maximum number of sampled video frames.").ignored(TEXT_ONLY);
        bool("use_audio_in_video", false, "Use the audio track of videos.").ignored(TEXT_ONLY);
        integer("audio_sampling_rate", 16000, "Sampling rate of audio inputs.").ignored(TEXT_ONLY);

        // Other inference engines: only read when infer_backend names them, which jtune refuses.
        integer("vllm_maxlen", 4096, "vLLM: maximum sequence length.").ignored("only used by infer_backend vllm, which jtune refuses");
        real("vllm_gpu_util", 0.7, "vLLM: fraction of GPU memory to use.").ignored("only used by infer_backend vllm, which jtune refuses");
        bool("vllm_enforce_eager", false, "vLLM: disable CUDA graphs.").ignored("only used by infer_backend vllm, which jtune refuses");
        integer("vllm_max_lora_rank", 32, "vLLM: maximum LoRA rank.").ignored("only used by infer_backend vllm, which jtune refuses");
        any("vllm_config", "vLLM: engine configuration (JSON).").ignored("only used by infer_backend vllm, which jtune refuses");
        integer("sglang_maxlen", 4096, "SGLang: maximum sequence length.").ignored("only used by infer_backend sglang, which jtune refuses");
        real("sglang_mem_fraction", 0.7, "SGLang: fraction of memory to use.").ignored("only used by infer_backend sglang, which jtune refuses");
        integer("sglang_tp_size", -1, "SGLang: tensor-parallel size.").ignored("only used by infer_backend sglang, which jtune refuses");
        any("sglang_config", "SGLang: engine configuration (JSON).").ignored("only used by infer_backend sglang, which jtune refuses");
        choice("sglang_lora_backend", "triton", "SGLang: LoRA GEMM backend.", "triton", "flashinfer").ignored("only used by infer_backend sglang, which jtune refuses");
        bool("use_kt", false, "Use KTransformers (CPU/GPU hybrid MoE training and inference).").unsupported("KTransformers is a Python/CUDA backend for MoE models; not implemented");
    }
}
