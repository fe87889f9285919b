package io.jtune.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.data.template.Templates;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The Jinja chat template equals LLaMA-Factory's: the expected strings were produced by running
 * LLaMA-Factory's own Template._get_jinja_template (data/template.py at ff6d4d12eeb0) on these
 * templates' slots with a stub tokenizer whose EOS is "<|im_end|>" and which has no BOS.
 */
class JinjaChatTemplateTest {
    static final String CHATML = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
            + "{% else %}{% set loop_messages = messages %}{% endif %}{% if system_message is defined %}{{ '<|im_start|>system\n' + system_message + '<|im_end|>\n' }"
            + "}{% endif %}{% for message in loop_messages %}{% set content = message['content'] %}{% if message['role'] == 'user' %}"
            + "{{ '<|im_start|>user\n' + content + '<|im_end|>\n<|im_start|>assistant\n' }}{% elif message['role'] == 'assistant' %}"
            + "{{ content + '<|im_end|>\n' }}{% endif %}{% endfor %}";

    static final String ALPACA = "{% set system_message = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' %}"
            + "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
            + "{% else %}{% set loop_messages = messages %}{% endif %}{% if system_message is defined %}{{ system_message }"
            + "}{% endif %}{% for message in loop_messages %}{% set content = message['content'] %}{% if message['role'] == 'user' %}"
            + "{{ '### Instruction:\n' + content + '\n\n### Response:\n' }}{% elif message['role'] == 'assistant' %}"
            + "{{ content + '<|im_end|>' + '\n\n' }}{% endif %}{% endfor %}";

    @Test
    void chatmlMatchesLlamaFactory() {
        assertEquals(Optional.of(CHATML), JinjaChatTemplate.render(Templates.get("chatml"), null, "<|im_end|>"));
    }

    @Test
    void alpacaWithDefaultSystemAndEosSlotMatchesLlamaFactory() {
        assertEquals(Optional.of(ALPACA), JinjaChatTemplate.render(Templates.get("alpaca"), null, "<|im_end|>"));
    }

    @Test
    void replacesOnlyForLlamaFactorysReplacingTemplatesOrWhenMissing() {
        assertTrue(JinjaChatTemplate.shouldReplace(Templates.get("chatml"), "{{ x }}"));
        assertTrue(!JinjaChatTemplate.shouldReplace(Templates.get("qwen"), "{{ x }}"));
        assertTrue(JinjaChatTemplate.shouldReplace(Templates.get("qwen"), null));
    }

    @Test
    void llama2FoldsTheSystemTextIntoTheFirstUserTurn() {
        String t = JinjaChatTemplate.render(Templates.get("llama2"), "<s>", "</s>").orElseThrow();
        assertTrue(t.contains("{% if loop.index0 == 0 and system_message is defined %}{% set content = '<<SYS>>\n' + system_message"), t);
        assertTrue(t.contains("{{ '<s>' + '[INST] ' + content + ' [/INST]' }}"), t);
    }
}
