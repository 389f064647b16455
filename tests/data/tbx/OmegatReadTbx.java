import java.io.File;
import java.util.List;
import org.omegat.core.Core;
import org.omegat.core.data.NotLoadedProject;
import org.omegat.core.data.ProjectProperties;
import org.omegat.gui.glossary.GlossaryEntry;
import org.omegat.gui.glossary.GlossaryReaderTBX;

// Test helper (tests/test_tbx.py): read a TBX file with OmegaT's own glossary reader, fr -> en, and print
// "entries: N" then one "source<TAB>target" line per entry. usage: OmegatReadTbx FILE.tbx EMPTY_DIR
public class OmegatReadTbx {
    public static void main(String[] args) throws Exception {
        final ProjectProperties props = new ProjectProperties(new File(args[1]));
        props.setSourceLanguage("fr");
        props.setTargetLanguage("en");
        Core.setProject(new NotLoadedProject() {
            @Override
            public ProjectProperties getProjectProperties() { return props; }
            @Override
            public boolean isProjectLoaded() { return true; }
        });
        List<GlossaryEntry> entries = GlossaryReaderTBX.read(new File(args[0]), false);
        System.out.println("entries: " + entries.size());
        for (int i = 0; i < entries.size(); i++) {
            GlossaryEntry e = entries.get(i);
            System.out.println(e.getSrcText() + "\t" + e.getLocText());
        }
    }
}
