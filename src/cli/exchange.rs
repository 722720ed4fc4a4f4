//! `ctb exchange …`: one call to a live venue through exactly the adapter the engine uses, to check connectivity
//! and credentials (testnet / sandbox unless `config/exchanges.yaml` says otherwise) before anything trades.

use clap::{Args, Subcommand, ValueEnum};
use rust_decimal::Decimal;
use std::path::PathBuf;

use crate::config::{ExchangesConfig, configured_adapter};
use crate::model::{OrderId, OrderQty, OrderReport, OrderRequest, OrderType, Side, Symbol};
use crate::venue::wall_clock::wall_clock_now;
use crate::venue::{ClientTag, ExchangeAdapter};
use crate::{Error, Result};

/// `ctb exchange` subcommands.
#[derive(Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Best bid, best ask and last price of a symbol.
    Ticker(SymbolArgs),
    /// The top levels of a symbol's order book.
    Book(BookArgs),
    /// Free balances of the account (needs credentials).
    Balance(VenueArgs),
    /// Place an order (needs credentials).
    Order(OrderArgs),
    /// Cancel an order by its id (needs credentials).
    Cancel(OrderIdArgs),
    /// The venue's view of an order (needs credentials).
    Status(OrderIdArgs),
}

/// Which venue, configured how.
#[derive(Args, Debug)]
pub struct VenueArgs {
    /// The venue.
    #[arg(long, value_name = "NAME")]
    exchange: String,
    /// Folder with exchanges.yaml (endpoints, testnet, rate limits) [default: ./config].
    #[arg(long, value_name = "DIR", env = "CTB_CONFIG_DIR", default_value = "config")]
    config_dir: PathBuf,
}

/// A venue and a symbol.
#[derive(Args, Debug)]
pub struct SymbolArgs {
    #[command(flatten)]
    venue: VenueArgs,
    /// Symbol in the engine's form (BTCUSDT, BTCUSD).
    #[arg(long)]
    symbol: String,
}

/// `ctb exchange book`.
#[derive(Args, Debug)]
pub struct BookArgs {
    #[command(flatten)]
    symbol: SymbolArgs,
    /// Levels per side.
    #[arg(long, default_value_t = 10)]
    depth: usize,
}

/// `ctb exchange cancel` / `status`.
#[derive(Args, Debug)]
pub struct OrderIdArgs {
    #[command(flatten)]
    symbol: SymbolArgs,
    /// The order's id, as `ctb exchange order` printed it.
    #[arg(long)]
    id: u64,
}

/// Order side.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SideArg {
    Buy,
    Sell,
}

/// Order type.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum TypeArg {
    Market,
    Limit,
}

/// `ctb exchange order`.
#[derive(Args, Debug)]
pub struct OrderArgs {
    #[command(flatten)]
    symbol: SymbolArgs,
    #[arg(long, value_enum)]
    side: SideArg,
    #[arg(long = "type", value_enum, default_value = "limit")]
    order_type: TypeArg,
    /// Base quantity (rounded down to the venue's lot step).
    #[arg(long)]
    quantity: Decimal,
    /// Limit price (rounded to the venue's tick), for limit orders.
    #[arg(long)]
    price: Option<Decimal>,
    /// The order's id (its client order id at the venue) [default: the current time in milliseconds].
    #[arg(long)]
    id: Option<u64>,
    /// Send it to production endpoints without asking (real money); without it, an order bound for production
    /// asks for `yes` on the terminal first.
    #[arg(long)]
    confirm_live: bool,
}

/// Runs a `ctb exchange` subcommand.
pub fn run(command: ExchangeCommand) -> Result<()> {
    super::block_on(call(command))
}

/// The tag of the client order ids of orders placed, queried and canceled by hand: one tag for every `ctb exchange`
/// call, so that `cancel` and `status` find what `order` placed. Sessions tag theirs with tags of their own.
const BY_HAND: ClientTag = ClientTag::new(0);

/// The adapter of `args`, connected (server time; the account too when credentials are set).
async fn connect(args: &VenueArgs) -> Result<Box<dyn ExchangeAdapter>> {
    let mut adapter = configured_adapter(&args.config_dir, &args.exchange, |name| std::env::var(name).ok())?;
    adapter.set_client_tag(BY_HAND);
    adapter.connect().await?;
    Ok(adapter)
}

async fn call(command: ExchangeCommand) -> Result<()> {
    match command {
        ExchangeCommand::Ticker(args) => {
            let adapter = connect(&args.venue).await?;
            let t = adapter.get_ticker(Symbol::new(&args.symbol)?).await?;
            let (bid, ask, last) = (t.bid.normalize(), t.ask.normalize(), t.last.normalize());
            println!("{} {}: bid {bid} ask {ask} last {last} at {}", adapter.name(), t.symbol, t.time);
        }
        ExchangeCommand::Book(args) => {
            let adapter = connect(&args.symbol.venue).await?;
            let book = adapter.get_orderbook(Symbol::new(&args.symbol.symbol)?, args.depth).await?;
            println!("{} {} book at {}", adapter.name(), book.symbol, book.time);
            for level in book.asks.iter().rev() {
                println!("  ask {:>20} {}", level.price.normalize(), level.quantity.normalize());
            }
            for level in &book.bids {
                println!("  bid {:>20} {}", level.price.normalize(), level.quantity.normalize());
            }
        }
        ExchangeCommand::Balance(args) => {
            let adapter = connect(&args).await?;
            for (asset, free) in adapter.get_account_balance().await? {
                println!("{asset} {}", free.normalize());
            }
        }
        ExchangeCommand::Order(args) => {
            let mut adapter = connect(&args.symbol.venue).await?;
            let order_type = match args.order_type {
                TypeArg::Market => OrderType::Market,
                TypeArg::Limit => OrderType::Limit,
            };
            if (order_type == OrderType::Limit) != args.price.is_some() {
                return Err(Error::Validation("--price is needed for a limit order and only for one".into()));
            }
            let side = match args.side {
                SideArg::Buy => Side::Buy,
                SideArg::Sell => Side::Sell,
            };
            let id = OrderId(args.id.unwrap_or_else(|| wall_clock_now().millis().unsigned_abs()));
            let symbol = Symbol::new(&args.symbol.symbol)?;
            let request = OrderRequest {
                order_type,
                ..OrderRequest::new(id, symbol, side, OrderQty::Base(args.quantity), args.price)
            };
            let venue = &args.symbol.venue;
            let config = ExchangesConfig::venue_in(&venue.config_dir, &venue.exchange, |n| std::env::var(n).ok())?;
            if !config.uses_test_endpoints(&venue.exchange) && !args.confirm_live {
                confirm_production(&venue.exchange, &request, std::io::stdin().lock(), std::io::stderr())?;
            }
            print_report(&adapter.place_order(request).await?);
        }
        ExchangeCommand::Cancel(args) => {
            let mut adapter = connect(&args.symbol.venue).await?;
            print_report(&adapter.cancel_order(Symbol::new(&args.symbol.symbol)?, OrderId(args.id)).await?);
        }
        ExchangeCommand::Status(args) => {
            let adapter = connect(&args.symbol.venue).await?;
            print_report(&adapter.get_order_status(Symbol::new(&args.symbol.symbol)?, OrderId(args.id)).await?);
        }
    }
    Ok(())
}

/// Asks on `terminal` whether `request` may go to `exchange`'s production endpoints, reading the answer from
/// `answers`: only `yes` sends it.
///
/// # Errors
/// [`Error::Validation`] for any other answer, or none.
fn confirm_production(
    exchange: &str,
    request: &OrderRequest,
    mut answers: impl std::io::BufRead,
    mut terminal: impl std::io::Write,
) -> Result<()> {
    let price = request.price.map(|p| format!(" at {}", p.normalize())).unwrap_or_default();
    let quantity = match request.quantity {
        OrderQty::Base(q) | OrderQty::Quote(q) => q.normalize(),
    };
    let question = format!(
        "{exchange} PRODUCTION endpoints: this {} {} of {quantity} {}{price} is a real order. Type yes to send it: ",
        request.order_type.as_str(),
        request.side.as_str(),
        request.symbol
    );
    // The question is best effort: the answer decides.
    let _ = terminal.write_all(question.as_bytes()).and_then(|()| terminal.flush());
    let mut answer = String::new();
    let read = answers.read_line(&mut answer).map_err(|e| Error::Validation(format!("no answer read: {e}")))?;
    if read == 0 || answer.trim() != "yes" {
        return Err(Error::Validation(format!(
            "not confirmed: no order was sent to {exchange} (answer yes, or pass --confirm-live)"
        )));
    }
    Ok(())
}

fn print_report(report: &OrderReport) {
    let r = &report.request;
    let quantity = match r.quantity {
        OrderQty::Base(q) => q.normalize().to_string(),
        OrderQty::Quote(a) => format!("{} (quote)", a.normalize()),
    };
    let price = r.price.map(|p| format!(" @ {}", p.normalize())).unwrap_or_default();
    let average = report.average_price.map(|p| format!(" at {}", p.normalize())).unwrap_or_default();
    println!(
        "order {}: {} {} {} {quantity} {}{price}; filled {}{average}, fee {}",
        r.client_order_id,
        report.status.as_str(),
        r.side.as_str(),
        r.order_type.as_str(),
        r.symbol,
        report.filled_quantity.normalize(),
        report.fee.normalize()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_production_order_goes_out_only_on_yes() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let request = OrderRequest::new(OrderId(7), symbol, Side::Buy, OrderQty::Base(dec!(0.0010)), Some(dec!(60000)));
        let mut asked = Vec::new();
        assert!(confirm_production("kraken", &request, &b"yes\n"[..], &mut asked).is_ok());
        let question = String::from_utf8(asked).unwrap();
        assert_eq!(
            question,
            "kraken PRODUCTION endpoints: this LIMIT BUY of 0.001 BTCUSDT at 60000 is a real order. Type yes to send it: "
        );
        for answer in [&b"no\n"[..], b"y\n", b"", b"YES please\n"] {
            let refused = confirm_production("kraken", &request, answer, Vec::new()).unwrap_err().to_string();
            assert!(refused.contains("not confirmed: no order was sent to kraken"), "{refused}");
        }
    }
}
