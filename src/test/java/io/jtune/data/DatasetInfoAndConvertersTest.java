package io.jtune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.data.convert.DatasetConverter;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.source.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetInfoAndConvertersTest {
    @TempDir
    Path dir;

    private DatasetRegistry registry(String json) throws Exception {
        Files.writeString(dir.resolve("dataset_info.json"), json);
        return DatasetRegistry.load(dir);
    }

    private static Row row(String json) throws Exception {
        return new Row((ObjectNode) new ObjectMapper().readTree(json), "f.json:1");
    }

    private AlignedExample convert(String info, String name, String record) throws Exception {
        return DatasetConverter.forAttr(registry(info).get(name)).convert(row(record));
    }

    private InvalidRecordException invalid(String info, String name, String record) throws Exception {
        DatasetConverter c = DatasetConverter.forAttr(registry(info).get(name));
        Row r = row(record);
        return assertThrows(InvalidRecordException.class, () -> c.convert(r));
    }

    @Test
    void defaultsFollowLlamaFactory() throws Exception {
        DatasetAttr a = registry("{\"d\": {\"file_name\": \"d.json\"}}").get("d");
        assertEquals("alpaca", a.formatting());
        assertEquals("instruction", a.columns().prompt());
        assertEquals("conversations", a.columns().messages());
        assertEquals("gpt", a.tags().assistant());
        assertEquals("train", a.split());
    }

    @Test
    void unknownDatasetListsTheDefinedNames() throws Exception {
        DatasetRegistry r = registry("{\"alpaca_en\": {\"file_name\": \"a.json\"}, \"glaive\": {\"file_name\": \"g.json\"}}");
        JtuneException e = assertThrows(JtuneException.class, () -> r.get("alpaca_zh"));
        assertTrue(e.getMessage().contains("alpaca_zh") && e.getMessage().contains("alpaca_en, glaive"), e.getMessage());
    }

    @Test
    void hubDatasetsAreNotDownloaded() throws Exception {
        DatasetRegistry r = registry("{\"h\": {\"hf_hub_url\": \"llamafactory/alpaca_en\"}, \"s\": {\"script_url\": \"x\"}}");
        JtuneException e = assertThrows(JtuneException.class, () -> r.get("h"));
        assertTrue(e.getMessage().contains("Download it first") && e.getMessage().contains("hf_hub_url"), e.getMessage());
        assertThrows(JtuneException.class, () -> r.get("s"));
    }

    @Test
    void imagesUnknownFormattingAndOtherSplitsAreRefusedClearly() throws Exception {
        DatasetRegistry r = registry("{\"m\": {\"file_name\": \"m.json\", \"formatting\": \"sharegpt\", \"columns\": "
                + "{\"messages\": \"messages\", \"images\": \"images\"}}, \"o\": {\"file_name\": \"o.json\", "
                + "\"formatting\": \"chatml\"}, \"t\": {\"file_name\": \"t.json\", \"split\": \"test\"}}");
        assertTrue(assertThrows(JtuneException.class, () -> r.get("m")).getMessage().contains("multimodal"));
        assertTrue(assertThrows(JtuneException.class, () -> r.get("o")).getMessage().contains("alpaca, sharegpt, openai"));
        assertTrue(assertThrows(JtuneException.class, () -> r.get("t")).getMessage().contains("\"train\""));
    }

    @Test
    void alpacaWithHistorySystemAndTools() throws Exception {
        String info = "{\"d\": {\"file_name\": \"d.json\", \"columns\": {\"prompt\": \"instruction\", \"query\": \"input\", "
                + "\"response\": \"output\", \"history\": \"history\", \"system\": \"system\", \"tools\": \"tools\"}}}";
        AlignedExample ex = convert(info, "d", "{\"instruction\": \"Translate\", \"input\": \"bonjour\", \"output\": "
                + "\"hello\", \"history\": [[\"hi\", \"hey\"]], \"system\": \"Be brief.\", \"tools\": [{\"name\": \"t\"}]}");
        assertEquals(List.of(Message.user("hi"), Message.assistant("hey"), Message.user("Translate\nbonjour")), ex.prompt());
        assertEquals(List.of(Message.assistant("hello")), ex.response());
        assertEquals("Be brief.", ex.system());
        assertEquals("[{\"name\": \"t\"}]", ex.tools());
    }

    @Test
    void alpacaBadShapes() throws Exception {
        String info = "{\"d\": {\"file_name\": \"d.json\", \"columns\": {\"prompt\": \"instruction\", "
                + "\"response\": \"output\", \"history\": \"history\"}}}";
        assertEquals("history entry is not a [prompt, response] pair",
                invalid(info, "d", "{\"instruction\": \"a\", \"output\": \"b\", \"history\": [[\"x\"]]}").reason());
        assertEquals("field is not a string", invalid(info, "d", "{\"instruction\": 7, \"output\": \"b\"}").reason());
        // A missing output leaves no response: the processor skips it as "no response".
        assertTrue(convert(info, "d", "{\"instruction\": \"a\"}").response().isEmpty());
    }

    @Test
    void alpacaPreferenceAndKto() throws Exception {
        String info = "{\"p\": {\"file_name\": \"p.json\", \"ranking\": true, \"columns\": {\"prompt\": \"instruction\", "
                + "\"chosen\": \"chosen\", \"rejected\": \"rejected\"}}, \"k\": {\"file_name\": \"k.json\", \"columns\": "
                + "{\"prompt\": \"instruction\", \"response\": \"output\", \"kto_tag\": \"label\"}}}";
        AlignedExample p = convert(info, "p", "{\"instruction\": \"q\", \"chosen\": \"good\", \"rejected\": \"bad\"}");
        assertEquals(List.of(Message.assistant("good"), Message.assistant("bad")), p.response());
        AlignedExample k = convert(info, "k", "{\"instruction\": \"q\", \"output\": \"meh\", \"label\": false}");
        assertEquals(List.of(Message.assistant(""), Message.assistant("meh")), k.response());
    }

    @Test
    void aKtoTagThatIsNotABooleanAndAPairWithoutItsRejectedAnswerAreInvalidRecords() throws Exception {
        String info = "{\"k\": {\"file_name\": \"k.json\", \"columns\": {\"prompt\": \"instruction\", \"response\": \"output\", "
                + "\"kto_tag\": \"label\"}}, \"p\": {\"file_name\": \"p.json\", \"ranking\": true, \"columns\": {\"prompt\": "
                + "\"instruction\", \"chosen\": \"chosen\", \"rejected\": \"rejected\"}}, \"s\": {\"file_name\": \"s.json\", "
                + "\"formatting\": \"sharegpt\", \"ranking\": true, \"columns\": {\"messages\": \"conversations\", \"chosen\": "
                + "\"chosen\", \"rejected\": \"rejected\"}}}";
        InvalidRecordException number = invalid(info, "k", "{\"instruction\": \"q\", \"output\": \"a\", \"label\": 1}");
        assertEquals("kto_tag is not a boolean", number.reason());
        assertTrue(number.getMessage().contains("column \"label\" is a number (1); expected true or false"), number.getMessage());
        InvalidRecordException word = invalid(info, "k", "{\"instruction\": \"q\", \"output\": \"a\", \"label\": \"yes\"}");
        assertTrue(word.getMessage().contains("the string \"yes\""), word.getMessage());
        assertEquals(List.of(Message.assistant("a"), Message.assistant("")),
                convert(info, "k", "{\"instruction\": \"q\", \"output\": \"a\", \"label\": \"true\"}").response(), "as a string too");
        assertEquals("preference record without chosen/rejected strings",
                invalid(info, "p", "{\"instruction\": \"q\", \"chosen\": \"good\"}").reason());
        assertEquals("preference record without chosen/rejected messages", invalid(info, "s",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}], \"chosen\": {\"from\": \"gpt\", \"value\": \"a\"}}").reason());
    }

    static final String SHAREGPT = "{\"s\": {\"file_name\": \"s.json\", \"formatting\": \"sharegpt\", \"columns\": "
            + "{\"messages\": \"conversations\", \"system\": \"system\", \"tools\": \"tools\"}}}";

    @Test
    void sharegptWithSystemTurnFunctionCallAndObservation() throws Exception {
        AlignedExample ex = convert(SHAREGPT, "s", "{\"conversations\": [{\"from\": \"system\", \"value\": \"S\"}, "
                + "{\"from\": \"human\", \"value\": \"weather?\"}, {\"from\": \"function_call\", \"value\": \"{}\"}, "
                + "{\"from\": \"observation\", \"value\": \"sunny\"}, {\"from\": \"gpt\", \"value\": \"Sunny.\"}], "
                + "\"tools\": \"[]\"}");
        assertEquals("S", ex.system());
        assertEquals(List.of(Message.user("weather?"), new Message(Role.FUNCTION, "{}"),
                new Message(Role.OBSERVATION, "sunny")), ex.prompt());
        assertEquals(List.of(Message.assistant("Sunny.")), ex.response());
        assertEquals("[]", ex.tools());
    }

    @Test
    void openAiStyleTags() throws Exception {
        String info = "{\"o\": {\"file_name\": \"o.json\", \"formatting\": \"sharegpt\", \"columns\": {\"messages\": "
                + "\"messages\"}, \"tags\": {\"role_tag\": \"role\", \"content_tag\": \"content\", \"user_tag\": \"user\", "
                + "\"assistant_tag\": \"assistant\", \"system_tag\": \"system\"}}}";
        AlignedExample ex = convert(info, "o", "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                + "{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}");
        assertEquals("S", ex.system());
        assertEquals(List.of(Message.user("hi")), ex.prompt());
        assertNull(ex.tools());
    }

    @Test
    void sharegptInvalidShapesAreNamed() throws Exception {
        assertEquals("sharegpt turns do not alternate user/assistant", invalid(SHAREGPT, "s",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"b\"}]}").reason());
        assertEquals("sharegpt conversation does not end with an answer", invalid(SHAREGPT, "s",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}]}").reason());
        assertEquals("messages column missing or not a list", invalid(SHAREGPT, "s", "{\"other\": 1}").reason());
        assertEquals("message content is not a string", invalid(SHAREGPT, "s",
                "{\"conversations\": [{\"from\": \"human\", \"value\": 3}, {\"from\": \"gpt\", \"value\": \"b\"}]}").reason());
        assertEquals("empty conversation", invalid(SHAREGPT, "s", "{\"conversations\": []}").reason());
        InvalidRecordException e = invalid(SHAREGPT, "s", "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"a\"}, "
                + "{\"from\": \"human\", \"value\": \"b\"}]}");
        assertTrue(e.getMessage().contains("turn 1 has role \"gpt\", expected \"human\" or \"observation\""), e.getMessage());
    }

    static final String OPENAI = "{\"o\": {\"file_name\": \"o.json\", \"formatting\": \"openai\", \"columns\": "
            + "{\"messages\": \"messages\", \"tools\": \"tools\"}, \"tags\": {\"role_tag\": \"role\", \"content_tag\": "
            + "\"content\", \"user_tag\": \"user\", \"assistant_tag\": \"assistant\", \"observation_tag\": \"tool\", "
            + "\"function_tag\": \"function_call\", \"system_tag\": \"system\"}}}";

    @Test
    void openaiFormattingAsLlamaFactory() throws Exception {
        AlignedExample plain = convert(OPENAI, "o", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                + "{\"role\": \"assistant\", \"content\": \"hello\"}]}");
        assertEquals("detailed thinking off", plain.system()); // LLaMA-Factory adds it when there are no tools
        AlignedExample tools = convert(OPENAI, "o", "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                + "{\"role\": \"user\", \"content\": \"weather?\"}, {\"role\": \"assistant\", \"content\": \"\", "
                + "\"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": {\"c\": 1}}}]}, "
                + "{\"role\": \"tool\", \"content\": \"a\"}, {\"role\": \"tool\", \"content\": \"b\"}, "
                + "{\"role\": \"assistant\", \"content\": \"done\"}], \"tools\": [{\"name\": \"w\"}]}");
        assertEquals("S\n", tools.system());
        assertEquals("[{\"name\": \"w\"}]", tools.tools());
        assertEquals(List.of(Message.user("weather?"), new Message(Role.FUNCTION, "[{\"name\": \"w\", \"arguments\": {\"c\": 1}}]"),
                new Message(Role.OBSERVATION, "a\n</tool_response>\n<tool_response>\nb")), tools.prompt());
        assertEquals(List.of(Message.assistant("done")), tools.response());
        assertEquals("openai turns do not alternate user/assistant", invalid(OPENAI, "o",
                "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": \"y\"}]}").reason());
    }

    @Test
    void sharegptPreferencePairs() throws Exception {
        String info = "{\"p\": {\"file_name\": \"p.json\", \"formatting\": \"sharegpt\", \"ranking\": true, \"columns\": "
                + "{\"messages\": \"conversations\", \"chosen\": \"chosen\", \"rejected\": \"rejected\"}}}";
        AlignedExample ex = convert(info, "p", "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}], "
                + "\"chosen\": {\"from\": \"gpt\", \"value\": \"good\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"bad\"}}");
        assertEquals(List.of(Message.user("q")), ex.prompt());
        assertEquals(List.of(Message.assistant("good"), Message.assistant("bad")), ex.response());
        assertEquals("preference prompt does not end with a user turn", invalid(info, "p",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}], "
                        + "\"chosen\": {\"from\": \"gpt\", \"value\": \"g\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"b\"}}").reason());
    }
}
