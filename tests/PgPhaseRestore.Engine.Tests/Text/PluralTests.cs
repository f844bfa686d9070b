namespace PgPhaseRestore.Engine.Tests.Text;

/// <summary>Counted nouns read right: one part, two parts, no entries.</summary>
public sealed class PluralTests
{
    [Theory]
    [InlineData(1, "part", "1 part")]
    [InlineData(2, "part", "2 parts")]
    [InlineData(0, "entry", "0 entries")]
    [InlineData(1, "entry", "1 entry")]
    [InlineData(11, "TOC entry", "11 TOC entries")]
    [InlineData(1, "index", "1 index")]
    [InlineData(3, "index", "3 indexes")]
    [InlineData(2, "index build", "2 index builds")]
    [InlineData(1, "large object", "1 large object")]
    [InlineData(10, "large object", "10 large objects")]
    [InlineData(4, "session", "4 sessions")]
    [InlineData(1, "row", "1 row")]
    [InlineData(1234567, "row", "1234567 rows")]
    [InlineData(2, "day", "2 days")]
    [InlineData(2, "match", "2 matches")]
    [InlineData(-1, "byte", "-1 byte")]
    public void Of_counts_the_noun(long count, string noun, string expected) => Assert.Equal(expected, Plural.Of(count, noun));

    [Fact]
    public void Noun_is_the_word_alone_for_aligned_columns()
    {
        Assert.Equal("entry", Plural.Noun(1, "entry"));
        Assert.Equal("entries", Plural.Noun(6, "entry"));
    }

    [Fact]
    public void Messages_and_progress_use_it()
    {
        var phase = new Engine.Restore.PhaseResult
        {
            Phase = 2, Name = "Indexes", Status = Engine.Restore.PhaseStatus.Succeeded, Target = "t", Source = "s",
            StartedAt = DateTimeOffset.UnixEpoch, Duration = TimeSpan.FromSeconds(1), Entries = 1, Errors = [],
        };
        Assert.Equal("Phase 2 Indexes: Succeeded in 1.0 s (1 entry, 0 errors)", phase.ToString());
    }
}
