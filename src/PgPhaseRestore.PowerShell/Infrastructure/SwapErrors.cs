using System.Management.Automation;
using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Swap and replace refusals as ErrorRecords with stable ErrorIds, so that scripts can tell "sessions in the way" from "not allowed".</summary>
public static class SwapErrors
{
    public const string SwapRefused = "PgPhaseRestore.SwapRefused";
    public const string ReplaceFailed = "PgPhaseRestore.ReplaceFailed";

    /// <summary>The record for a swap or replace failure, with the parameters that answer it as its RecommendedAction.</summary>
    public static ErrorRecord From(Exception ex, object? target) => ex is SwapException ? RecommendedActions.Apply(Record(ex, target), ex) : ErrorRecords.From(ex, target);

    private static ErrorRecord Record(Exception ex, object? target) => ex switch
    {
        SwapException { Kind: SwapFailure.Sessions } => new ErrorRecord(ex, SwapRefused, ErrorCategory.ResourceBusy, target),
        SwapException { Kind: SwapFailure.Busy } => new ErrorRecord(ex, SwapRefused, ErrorCategory.ResourceBusy, target),
        SwapException { Kind: SwapFailure.Permission or SwapFailure.Unendable } => new ErrorRecord(ex, SwapRefused, ErrorCategory.PermissionDenied, target),
        SwapException { Kind: SwapFailure.NotFound or SwapFailure.NothingToReplace } => new ErrorRecord(ex, SwapRefused, ErrorCategory.ObjectNotFound, target),
        SwapException => new ErrorRecord(ex, SwapRefused, ErrorCategory.InvalidOperation, target),
        _ => ErrorRecords.From(ex, target),
    };
}
