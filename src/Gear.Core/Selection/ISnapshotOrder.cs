namespace Gear.Core.Selection;

/// <summary>
/// Implemented by selectors whose choices depend on more than which slots they hold and their priorities
/// (insertion order, tie stamps, an epoch): the order in which to re-insert the held slots into an empty
/// selector of the same kind so that it ends up choosing exactly as this one does, plus one extra number
/// (the epoch mark) restored afterwards. Selectors without it are rebuilt in ascending slot order.
/// </summary>
internal interface ISnapshotOrder
{
    /// <summary>The held slots in re-insertion order; <paramref name="mark"/> is handed back to <see cref="RestoreMark"/>.</summary>
    int[] RestoreOrder(out int mark);

    /// <summary>Applies the mark after the slots were re-inserted in <see cref="RestoreOrder"/>'s order.</summary>
    void RestoreMark(int mark);
}

/// <summary>
/// Implemented by selectors that keep a derived value per item (the prioritized selector's weight p^α):
/// checkpoints save that value bit for bit instead of a priority recovered from it within rounding.
/// </summary>
internal interface ISnapshotWeights
{
    /// <summary>The value stored for a held slot.</summary>
    double GetStored(int slot);

    /// <summary>Inserts a slot with a value from <see cref="GetStored"/>.</summary>
    void InsertStored(int slot, double stored);
}
