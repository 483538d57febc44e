using NatMap.Stun.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Stun;

/// <summary>
/// The seeds of the <c>stun</c> fuzz target (NatMap.Fuzz/Corpus/stun) stay valid messages, so afl-fuzz
/// starts from answers the client takes rather than from noise.
/// </summary>
public sealed class StunFuzzCorpusTests
{
    [Fact]
    public void Seeds_AreValidMessagesForTheVectorsTransaction()
    {
        var root = RepoPaths.Root;
        if (root is null)
        {
            Assert.Skip("the tests run outside a checkout: no NatMap.Fuzz/Corpus");
        }

        var transaction = StunBindingTransaction.Create(StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae")));
        var seeds = Directory.GetFiles(Path.Combine(root, "NatMap.Fuzz", "Corpus", "stun"));
        Assert.NotEmpty(seeds);
        foreach (var seed in seeds)
        {
            var bytes = File.ReadAllBytes(seed);
            Assert.True(StunMessage.TryParse(bytes, out var message) == StunParseError.None, seed);
            if (message.Header.Class != StunClass.Request)
            {
                Assert.True(transaction.TryAccept(bytes, out _), seed);
            }
        }
    }
}
